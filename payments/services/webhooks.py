"""Webhooks in: what a processor tells the shop about its payments, asynchronously.

A webhook is believed only after its gateway's `verify_webhook` (HMAC signature over the exact
body, timestamp within PAYMENT_WEBHOOK_TOLERANCE_SECONDS). Each event id is applied at most once
(`WebhookEvent` is unique per gateway and event id: a replay finds the first row and changes
nothing). A payment event goes through `payment_record`, which only moves a payment up by rank,
so events arriving out of order converge on the right state.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..gateways import GatewayResult, ResultStatus, WebhookMessage, WebhookSignatureError, gateway_for
from ..logs import payment_log, redact
from ..models import LogLevel, Payment, PaymentGateway, TransactionType, WebhookEvent
from .card import payment_record
from .refunds import refund_webhook_apply

# A payment event: what it says the payment became, and which kind of call it reports.
PAYMENT_EVENTS: dict[str, tuple[ResultStatus, str]] = {
    "payment.authorized": (ResultStatus.AUTHORIZED, TransactionType.AUTHORIZATION),
    "payment.captured": (ResultStatus.CAPTURED, TransactionType.CAPTURE),
    "payment.failed": (ResultStatus.DECLINED, TransactionType.AUTHORIZATION),
    "payment.voided": (ResultStatus.VOIDED, TransactionType.VOID),
}
ALREADY_APPLIED = "already applied"


@dataclass(frozen=True)
class WebhookReceipt:
    event: WebhookEvent
    replayed: bool  # the event id was received before: nothing was applied this time


def webhook_receive(*, gateway_code: str, body: bytes, headers: dict[str, str], ip_address: str | None) -> WebhookEvent:
    """Verify, store and apply one webhook; the stored `WebhookEvent` (its `.outcome` says what
    happened). Raises GatewayError (no such gateway), WebhookSignatureError (forged, too old, not
    an event: logged with the client address, nothing else changes)."""
    return webhook_receipt(gateway_code=gateway_code, body=body, headers=headers, ip_address=ip_address).event


def webhook_receipt(
    *, gateway_code: str, body: bytes, headers: dict[str, str], ip_address: str | None
) -> WebhookReceipt:
    """`webhook_receive`, also saying whether the event was a replay (the API answers "already applied")."""
    gateway = gateway_for(gateway_code)
    try:
        message = gateway.verify_webhook(body=body, headers=headers)
    except WebhookSignatureError as exc:
        payment_log(
            f"Webhook refused: {exc}",
            source="webhook",
            level=LogLevel.WARNING,
            ip_address=ip_address,
            user_agent=_header(headers, "User-Agent"),
            details={"gateway": gateway_code, "reason": str(exc), "body_bytes": len(body)},
        )
        raise
    with transaction.atomic():
        try:
            with transaction.atomic():
                event = WebhookEvent.objects.create(
                    gateway=gateway.record,
                    event_id=message.event_id,
                    event_type=message.event_type,
                    payload=redact(message.data),
                    occurred_at=_occurred_at(message),
                )
        except IntegrityError:
            # Delivered before (a retry of the processor, or a replay): the first delivery applied it.
            event = WebhookEvent.objects.get(gateway=gateway.record, event_id=message.event_id)
            payment_log(
                f"Webhook {message.event_type} {message.event_id} received again: {ALREADY_APPLIED}",
                source="webhook",
                payment=event.payment,
                ip_address=ip_address,
                details={"gateway": gateway_code, "event_id": message.event_id},
            )
            return WebhookReceipt(event=event, replayed=True)
        event.outcome = _apply(event, message, gateway=gateway.record, ip_address=ip_address)[:255]
        event.processed_at = timezone.now()
        event.save(update_fields=["payment", "outcome", "processed_at"])
    return WebhookReceipt(event=event, replayed=False)


def _apply(event: WebhookEvent, message: WebhookMessage, *, gateway: PaymentGateway, ip_address: str | None) -> str:
    """Apply a new event in the caller's transaction; the outcome, in words for staff."""
    if message.event_type.startswith("refund."):
        # A refund's outcome is the refund service's to record (it locks order -> payment -> refund).
        event.payment = Payment.objects.filter(gateway=gateway, gateway_reference=message.reference).first()
        return refund_webhook_apply(gateway_code=gateway.code, message=message)
    if message.event_type not in PAYMENT_EVENTS:
        return f"ignored: unknown event type {message.event_type}"
    payment = Payment.objects.filter(gateway=gateway, gateway_reference=message.reference).first()
    if payment is None:
        # A payment whose authorization answer has not reached the shop yet (a timeout): the retry
        # task learns its reference by asking again, and this event's call is recorded then.
        payment_log(
            f"Webhook {message.event_type} for an unknown payment reference",
            source="webhook",
            level=LogLevel.WARNING,
            ip_address=ip_address,
            details={"event_id": message.event_id, "reference": message.reference},
        )
        return "ignored: no payment with this reference"
    event.payment = payment
    status, transaction_type = PAYMENT_EVENTS[message.event_type]
    result = GatewayResult(
        status,
        # The processor's id of the call the event reports (the same id the call answered with).
        transaction_id=str(message.data.get("transaction") or message.event_id),
        reference=message.reference,
        code=str(message.data.get("code", ""))[:32],
        message=str(message.data.get("message", ""))[:255],
        raw={"amount": message.data.get("amount")},
    )
    before = payment.status
    recorded = payment_record(payment_id=payment.pk, result=result, transaction_type=transaction_type, source="webhook")
    if recorded.status != before:
        return f"applied: {before} -> {recorded.status}"
    return f"applied: no change (the payment is {recorded.status})"


def _occurred_at(message: WebhookMessage) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(message.occurred_at, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _header(headers: dict[str, str], name: str) -> str:
    return next((value for key, value in headers.items() if key.lower() == name.lower()), "")
