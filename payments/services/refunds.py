"""Refunds through the gateway: money given back to the card a payment came from.

A refund to a card is two steps, because no gateway call is made while a row is locked:

1. Under the refund cap's locks (order row -> payments), `refund_to_gateway_locked` writes a
   pending `Refund` and adds its amount to the payment's refunded total at once, so the cap holds
   while the money is on its way; after commit `refund_process_task` is queued.
2. `refund_process` calls the gateway outside any transaction with the key `refund:<pk>`, then
   locks again (order row -> payment -> refund) and records the answer: completed, or failed
   with its amount given back to the cap. A timeout leaves the refund processing; the task
   repeats the call with the same key (the processor answers the repeat with the first result,
   so the money moves once), and `refunds_resume` picks up any refund left behind (a lost task,
   a broker that was down at commit).

A failed refund can be retried by staff (`refund_retry`): it takes its amount from the cap again
and goes to the gateway with a new key, since the processor may remember the refusal under the
old one. Store credit and the wallet's own payments never come here: they are wallet credits,
complete at once (`payments.services._payment_refund_locked`).
"""

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from common.exceptions import InvalidTransitionError, NotFoundError
from common.idempotency import idempotency_key_clean, idempotent_replay, request_fingerprint
from common.money import ZERO, money

from ..exceptions import InvalidAmountError, RefundExceedsPaymentError, RefundNotAllowedError, RefundReasonRequiredError
from ..gateways import GatewayError, GatewayResult, GatewayTimeoutError, ResultStatus, WebhookMessage, gateway_for
from ..logs import payment_log
from ..models import (
    LogLevel,
    Payment,
    PaymentTransaction,
    Refund,
    RefundDestination,
    RefundStatus,
    RefundTransaction,
    TransactionStatus,
    TransactionType,
)
from . import _lock_order_row, _payment_refund_locked, payment_refundable, payment_refunded_change

LOG_SOURCE = "refund"
# A refund still pending or processing this long after its last attempt was left behind.
RESUME_AFTER = dt.timedelta(minutes=5)
RESUME_BATCH = 100
_UNFINISHED = (RefundStatus.PENDING, RefundStatus.PROCESSING)


@dataclass(frozen=True)
class RequestedRefund:
    refund: Refund
    created: bool  # False when an Idempotency-Key replayed an earlier request


# --- asking for a refund ----------------------------------------------------------------------


def refund_request(
    *,
    payment_id: int,
    amount: Decimal | str,
    reason: str,
    actor: User | None,
    destination: str = RefundDestination.ORIGINAL,
    idempotency_key: str | None = None,
) -> RequestedRefund:
    """Staff give back `amount` of one payment, to its card (or wallet) or as store credit.

    Within the same cap as `order_refund` (the order row, then the payment, locked; what is left
    counted under the lock). The same `idempotency_key` again for the same payment returns the
    first refund. Raises NotFoundError, RefundNotAllowedError (not an order's payment),
    InvalidAmountError, RefundReasonRequiredError, RefundExceedsPaymentError (more than is left:
    `extra["refundable"]`), IdempotencyKeyReuseError; then nothing changed.
    """
    if destination not in RefundDestination.values:
        raise InvalidAmountError(_("Choose where the money goes: the original payment or the wallet."))
    try:
        amount = money(amount)
    except (ArithmeticError, ValueError):
        raise InvalidAmountError(_("Enter an amount such as 25.00.")) from None
    if amount <= ZERO:
        raise InvalidAmountError(_("A refund must be more than zero."))
    reason = (reason or "").strip()
    if not reason:
        raise RefundReasonRequiredError()
    key = idempotency_key_clean(idempotency_key)
    fingerprint = request_fingerprint(
        "refund_request", payment_id=payment_id, amount=amount, destination=destination, reason=reason
    )
    found = Payment.objects.filter(pk=payment_id).values_list("order_id", flat=True)
    if not found:
        raise NotFoundError(_("No such payment."))
    order_id = found[0]
    if order_id is None:
        raise RefundNotAllowedError()
    refused: Decimal | None = None
    with transaction.atomic():
        _lock_order_row(order_id)
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if key is not None:
            earlier = Refund.objects.filter(payment=payment, idempotency_key=key).first()
            if (replayed := idempotent_replay(earlier, fingerprint=fingerprint)) is not None:
                return RequestedRefund(refund=replayed, created=False)
        left = payment_refundable(payment)
        if amount > left:
            refused = left
        else:
            refund = _payment_refund_locked(
                payment,
                amount=amount,
                reason=reason,
                actor=actor,
                reference=f"payment:{payment.pk}",
                destination=destination,
                idempotency_key=key,
                fingerprint=fingerprint if key else "",
            )
    if refused is not None:
        raise RefundExceedsPaymentError(
            _("At most %(refundable)s can still be given back from this payment.") % {"refundable": refused},
            extra={"refundable": str(refused), "requested": str(amount)},
        )
    return RequestedRefund(refund=refund, created=True)


def refund_to_gateway_locked(
    payment: Payment,
    *,
    amount: Decimal,
    reason: str,
    actor: User | None,
    reference: str,
    idempotency_key: str | None = None,
    fingerprint: str = "",
) -> Refund:
    """A pending refund of a locked, checked card payment, counted against the cap at once; the
    gateway is called after the caller's transaction commits. (Reached through
    `_payment_refund_locked`, which every refund of an order goes through.)"""
    assert payment.order_id is not None, "only an order's payments are refunded"
    refund = Refund.objects.create(
        payment=payment,
        order_id=payment.order_id,
        amount=amount,
        currency=payment.currency,
        reason=reason[:255],
        status=RefundStatus.PENDING,
        processed_by=actor,
        destination=RefundDestination.ORIGINAL,
        reference=reference[:64],
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
    )
    payment_refunded_change(payment, amount)
    payment_log(
        f"Refund of {amount} {payment.currency} to the card requested",
        source=LOG_SOURCE,
        payment=payment,
        refund=refund,
        initiated_by=actor,
        details={"reason": reason[:255], "reference": reference[:64]},
    )
    _enqueue(refund.pk)
    return refund


def refund_retry(*, refund_id: int, actor: User | None) -> Refund:
    """Send a failed refund to the gateway again: its amount is taken from the cap again (under
    the locks) and the call made after commit, with a new key.

    Raises NotFoundError, InvalidTransitionError (not failed), RefundExceedsPaymentError (the
    cap was used meanwhile by other refunds).
    """
    ids = Refund.objects.filter(pk=refund_id, deleted_at__isnull=True).values_list("order_id", "payment_id").first()
    if ids is None:
        raise NotFoundError(_("No such refund."))
    refused: Decimal | None = None
    with transaction.atomic():
        payment, refund = _lock(refund_id, *ids)
        if refund.status != RefundStatus.FAILED or refund.destination != RefundDestination.ORIGINAL:
            raise InvalidTransitionError(_("Only a failed refund to a card can be tried again."))
        left = payment_refundable(payment)
        if refund.amount > left:
            refused = left
        else:
            payment_refunded_change(payment, refund.amount)
            refund.status = RefundStatus.PENDING
            refund.failure_message = ""
            refund.save(update_fields=["status", "failure_message", "updated_at"])
            payment_log(
                "Refund sent to the card again", source=LOG_SOURCE, payment=payment, refund=refund, initiated_by=actor
            )
            _enqueue(refund.pk)
    if refused is not None:
        raise RefundExceedsPaymentError(
            _("At most %(refundable)s can still be given back from this payment.") % {"refundable": refused},
            extra={"refundable": str(refused), "requested": str(refund.amount)},
        )
    return refund


# --- the gateway call -------------------------------------------------------------------------


def refund_process(*, refund_id: int) -> Refund:
    """Send a pending (or processing) refund to its payment's gateway and record the answer.

    Call it outside any transaction (the task does): no row is locked during the call. A refund in any other state is
    left as it is (the task may run twice). Raises GatewayTimeoutError after logging it, with
    the refund still processing: call again (the same key), the money moves once.
    """
    # Claim it: pending -> processing, and mark the attempt (`refunds_resume` waits after it).
    claimed = Refund.objects.filter(pk=refund_id, status__in=_UNFINISHED).update(
        status=RefundStatus.PROCESSING, updated_at=timezone.now()
    )
    refund = Refund.objects.select_related("payment__gateway").get(pk=refund_id)
    if not claimed:
        return refund
    payment = refund.payment
    try:
        if payment.gateway is None or not payment.gateway_reference:
            raise GatewayError("the payment has no reference at a gateway")
        gateway = gateway_for(payment.gateway.code)
        result = gateway.refund(
            reference=payment.gateway_reference, amount=refund.amount, idempotency_key=_gateway_key(refund)
        )
    except GatewayTimeoutError:
        payment_log(
            "The gateway did not answer the refund in time; it will be asked again with the same key",
            source=LOG_SOURCE,
            level=LogLevel.WARNING,
            payment=payment,
            refund=refund,
        )
        raise
    except GatewayError as exc:
        return _record(refund, status=None, transaction_id="", code="gateway_error", message=str(exc))
    return _record_result(refund, result)


def refund_webhook_apply(*, gateway_code: str, message: WebhookMessage) -> str:
    """Apply a gateway's `refund.*` webhook (already verified and recorded once by the webhook
    service): `refund.succeeded` completes, `refund.failed` fails a refund still unfinished.

    The refund is found by the processor's refund id (`data["refund"]`, else the message's
    reference) among the gateway's payments' refunds. A refund the call's answer recorded already
    is left as it is; one the shop does not know yet (the webhook overtook the answer) is left to
    the answer. Returns the outcome, in words, for the event row.
    """
    if message.event_type not in ("refund.succeeded", "refund.failed"):
        return f"ignored: {message.event_type}"
    processor_id = str(message.data.get("refund") or message.reference)
    refund = (
        Refund.objects.filter(gateway_reference=processor_id, payment__gateway__code=gateway_code)
        .only("pk", "order_id", "payment_id", "status")
        .first()
    )
    if refund is None:
        return "no refund with this reference yet: the refund call's answer records it"
    if refund.status not in _UNFINISHED:
        return f"refund {refund.pk} already {refund.status}"
    if message.event_type == "refund.succeeded":
        refund = _record(
            refund,
            status=RefundStatus.COMPLETED,
            transaction_id=message.event_id,
            code="refunded",
            message="Refunded (webhook)",
        )
    else:
        reason = str(message.data.get("message") or _("The gateway refused the refund."))
        refund = _record(
            refund,
            status=None,
            transaction_id=message.event_id,
            code=str(message.data.get("code") or "refund_failed"),
            message=reason,
        )
    return f"refund {refund.pk} {refund.status}"


def refunds_resume(*, now: dt.datetime | None = None) -> int:
    """Process the refunds left pending or processing for longer than RESUME_AFTER (their task was
    lost, or gave up after timeouts). How many were sent; safe to run in two workers at once."""
    cutoff = (now or timezone.now()) - RESUME_AFTER
    due = list(
        Refund.objects.filter(status__in=_UNFINISHED, updated_at__lte=cutoff, deleted_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:RESUME_BATCH]
    )
    for refund_id in due:
        try:
            refund_process(refund_id=refund_id)
        except GatewayTimeoutError:
            continue  # still processing: the next run asks again
    return len(due)


def _gateway_key(refund: Refund) -> str:
    """`refund:<pk>` for the first attempt; after each refusal staff retried, a new key (the
    processor may answer an old key with its old refusal). Refusals are counted by their rows."""
    refusals = refund.transactions.filter(status=TransactionStatus.FAILED).count()
    return f"refund:{refund.pk}" if refusals == 0 else f"refund:{refund.pk}:retry:{refusals}"


def _record_result(refund: Refund, result: GatewayResult) -> Refund:
    if result.status is ResultStatus.REFUNDED:
        status: str | None = RefundStatus.COMPLETED
    elif result.status is ResultStatus.PENDING:
        status = RefundStatus.PROCESSING  # accepted: the outcome comes by webhook
    else:
        status = None  # declined, or an answer a refund cannot have
    return _record(
        refund, status=status, transaction_id=result.transaction_id, code=result.code, message=result.message
    )


def _record(refund: Refund, *, status: str | None, transaction_id: str, code: str, message: str) -> Refund:
    """Lock (order row -> payment -> refund) and record the gateway's answer on a refund still
    unfinished: COMPLETED, PROCESSING (accepted, outcome by webhook) or None (refused: FAILED,
    its amount back to the cap). A refund already finished is left as it is."""
    with transaction.atomic():
        payment, refund = _lock(refund.pk, refund.order_id, refund.payment_id)
        if refund.status not in _UNFINISHED:
            return refund
        if status == RefundStatus.COMPLETED:
            _complete(payment, refund, transaction_id=transaction_id, code=code, message=message)
        elif status == RefundStatus.PROCESSING:
            _accepted(payment, refund, transaction_id=transaction_id, code=code, message=message)
        else:
            _fail(payment, refund, transaction_id=transaction_id, code=code, message=message)
    return refund


def _lock(refund_id: int, order_id: int, payment_id: int) -> tuple[Payment, Refund]:
    """The shop's lock order: the order row, the payment, then the refund."""
    _lock_order_row(order_id)
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    refund = Refund.objects.select_for_update().get(pk=refund_id)
    return payment, refund


def _complete(payment: Payment, refund: Refund, *, transaction_id: str, code: str, message: str) -> None:
    refund.status = RefundStatus.COMPLETED
    refund.gateway_reference = refund.gateway_reference or transaction_id or None
    refund.failure_message = ""
    refund.save(update_fields=["status", "gateway_reference", "failure_message", "updated_at"])
    _transactions(payment, refund, TransactionStatus.SUCCESS, transaction_id, code or "refunded", message or "Refunded")
    payment_log(
        f"Refund of {refund.amount} {refund.currency} to the card completed",
        source=LOG_SOURCE,
        payment=payment,
        refund=refund,
        details={"transaction_id": transaction_id, "code": code},
    )


def _accepted(payment: Payment, refund: Refund, *, transaction_id: str, code: str, message: str) -> None:
    if refund.gateway_reference:  # a repeat of the call (a resumed refund): recorded already
        return
    refund.gateway_reference = transaction_id or None
    refund.save(update_fields=["gateway_reference", "updated_at"])
    _transactions(payment, refund, TransactionStatus.PENDING, transaction_id, code or "pending", message or "Accepted")
    payment_log(
        "The gateway accepted the refund; its outcome comes by webhook",
        source=LOG_SOURCE,
        payment=payment,
        refund=refund,
        details={"transaction_id": transaction_id, "code": code, "message": message},
    )


def _fail(payment: Payment, refund: Refund, *, transaction_id: str, code: str, message: str) -> None:
    refund.status = RefundStatus.FAILED
    refund.failure_message = (message or _("The gateway refused the refund."))[:255]
    refund.save(update_fields=["status", "failure_message", "updated_at"])
    payment_refunded_change(payment, -refund.amount)  # the cap gets the amount back
    _transactions(payment, refund, TransactionStatus.FAILED, transaction_id, code or "refused", refund.failure_message)
    payment_log(
        f"The gateway refused the refund of {refund.amount} {refund.currency}: {refund.failure_message}",
        source=LOG_SOURCE,
        level=LogLevel.ERROR,
        payment=payment,
        refund=refund,
        details={"transaction_id": transaction_id, "code": code},
    )


def _transactions(payment: Payment, refund: Refund, status: str, transaction_id: str, code: str, message: str) -> None:
    """The refund's record of the call, and the payment's (its history shows every gateway call).
    A refusal without an id from the processor gets one of ours."""
    transaction_id = transaction_id or f"rfx_{uuid.uuid4().hex}"
    fields: dict[str, Any] = {
        "amount": refund.amount,
        "currency": refund.currency,
        "status": status,
        "response_code": code[:32],
        "response_message": message[:255],
    }
    RefundTransaction.objects.create(refund=refund, transaction_id=transaction_id, **fields)
    PaymentTransaction.objects.create(
        payment=payment, transaction_id=transaction_id, transaction_type=TransactionType.REFUND, **fields
    )


def _enqueue(refund_id: int) -> None:
    from ..tasks import refund_process_task  # the tasks module imports the services

    # robust: a broker that is down must not turn the committed refund into an error; the refund
    # row is its own outbox row, and `refunds_resume` sends it later.
    transaction.on_commit(lambda: refund_process_task.delay(refund_id), robust=True)
