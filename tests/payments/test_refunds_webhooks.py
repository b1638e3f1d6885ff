"""Refunds with the card engine and the webhook service around them: a payment the engine
captured is refunded to its card, and the processor's signed `refund.*` webhooks, received by
`payments.services.webhooks`, settle a refund it accepted for later, once."""

from decimal import Decimal

import pytest

from payments.gateways import GatewayResult, ResultStatus
from payments.gateways.sandbox import SandboxGateway
from payments.models import PaymentStatus, RefundStatus, RefundTransaction, WebhookEvent
from payments.services.card import card_payment_run
from payments.services.refunds import refund_request
from payments.services.webhooks import webhook_receipt

from .cards import RETURN_URL, sandbox_event, signed
from .cards import card_payment as pending_card_payment
from .refunds_helpers import processor_refunded

pytestmark = pytest.mark.django_db


@pytest.fixture
def captured(user):
    """A card payment of 50.00 authorized and captured by the card engine."""
    payment = card_payment_run(payment_id=pending_card_payment(user).pk, return_url=RETURN_URL)
    assert payment.status == PaymentStatus.CAPTURED
    return payment


def test_a_payment_the_engine_captured_is_refunded_to_its_card(captured, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        made = refund_request(payment_id=captured.pk, amount="50.00", reason="r", actor=None).refund

    made.refresh_from_db()
    captured.refresh_from_db()
    assert made.status == RefundStatus.COMPLETED
    assert (captured.refunded_amount, captured.status) == (Decimal("50.00"), PaymentStatus.REFUNDED)
    assert processor_refunded(captured) == Decimal("50.00")
    # The processor's own webhook came too, and found the refund settled by the call's answer.
    event = WebhookEvent.objects.get(event_type="refund.succeeded")
    assert event.outcome == f"refund {made.pk} already completed" and event.payment == captured


def _accepted(payment, django_capture_on_commit_callbacks, monkeypatch, amount="20.00"):
    """A refund the processor accepted, to settle later by webhook."""
    monkeypatch.setattr(
        SandboxGateway,
        "refund",
        lambda self, *, reference, amount, idempotency_key: GatewayResult(
            ResultStatus.PENDING, "re_later", reference, "pending", "Pending"
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        made = refund_request(payment_id=payment.pk, amount=amount, reason="r", actor=None).refund
    made.refresh_from_db()
    assert (made.status, made.gateway_reference) == (RefundStatus.PROCESSING, "re_later")
    return made


def _receive(body: bytes):
    return webhook_receipt(gateway_code="sandbox", body=body, headers=signed(body), ip_address=None)


def test_a_signed_refund_succeeded_completes_the_refund_once(captured, django_capture_on_commit_callbacks, monkeypatch):
    made = _accepted(captured, django_capture_on_commit_callbacks, monkeypatch)
    body = sandbox_event("refund.succeeded", captured.gateway_reference, amount="20.00", refund="re_later")

    first, replay = _receive(body), _receive(body)

    made.refresh_from_db()
    assert made.status == RefundStatus.COMPLETED
    assert first.event.outcome == f"refund {made.pk} completed" and first.event.payment == captured
    assert replay.replayed
    assert RefundTransaction.objects.filter(refund=made, status="success").count() == 1
    captured.refresh_from_db()
    assert (captured.refunded_amount, captured.status) == (Decimal("20.00"), PaymentStatus.PARTIALLY_REFUNDED)


def test_a_signed_refund_failed_gives_the_cap_back(captured, django_capture_on_commit_callbacks, monkeypatch):
    made = _accepted(captured, django_capture_on_commit_callbacks, monkeypatch, amount="50.00")
    body = sandbox_event(
        "refund.failed", captured.gateway_reference, refund="re_later", code="card_closed", message="Card closed"
    )

    _receive(body)

    made.refresh_from_db()
    captured.refresh_from_db()
    assert (made.status, made.failure_message) == (RefundStatus.FAILED, "Card closed")
    assert (captured.refunded_amount, captured.status) == (Decimal("0.00"), PaymentStatus.CAPTURED)


def test_a_forged_refund_webhook_changes_nothing(captured, django_capture_on_commit_callbacks, monkeypatch):
    from payments.gateways import WebhookSignatureError

    made = _accepted(captured, django_capture_on_commit_callbacks, monkeypatch)
    body = sandbox_event("refund.succeeded", captured.gateway_reference, refund="re_later")

    with pytest.raises(WebhookSignatureError):
        webhook_receipt(gateway_code="sandbox", body=body, headers=signed(body, secret="forged"), ip_address=None)

    made.refresh_from_db()
    assert made.status == RefundStatus.PROCESSING
