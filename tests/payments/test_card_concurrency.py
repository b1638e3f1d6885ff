"""Threads against PostgreSQL: a payment run twice at once, or one webhook delivered by several
workers at once, moves money once and records each processor call once."""

import json

import pytest

from payments.models import PaymentStatus, PaymentTransaction, SandboxOperation, TransactionType, WebhookEvent
from payments.services.card import card_payment_run, payment_capture
from payments.services.webhooks import webhook_receive
from tests.factories.accounts import UserFactory

from .cards import RETURN_URL, THREE_DS, card_payment, sandbox_event, signed
from .helpers import run_concurrently

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def test_one_payment_run_by_eight_threads_is_authorized_and_captured_once():
    payment = card_payment(UserFactory(), amount="19.99")

    results = run_concurrently([lambda: card_payment_run(payment_id=payment.pk, return_url=RETURN_URL)] * 8, workers=8)

    assert {kind for kind, _value in results} == {"ok"}, results
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED and str(payment.captured_amount) == "19.99"
    assert SandboxOperation.objects.filter(operation="authorize").count() == 1
    assert SandboxOperation.objects.filter(operation="capture").count() == 1
    assert SandboxOperation.objects.filter(operation="intent").count() == 1
    kinds = sorted(PaymentTransaction.objects.filter(payment=payment).values_list("transaction_type", flat=True))
    assert kinds == [TransactionType.AUTHORIZATION, TransactionType.CAPTURE]


def test_one_webhook_delivered_by_six_workers_at_once_is_applied_once():
    payment = card_payment(UserFactory(), THREE_DS)
    payment = card_payment_run(payment_id=payment.pk, return_url=RETURN_URL)
    SandboxOperation.objects.filter(key=f"intent:{payment.gateway_reference}").update(state="authorized")
    body = sandbox_event("payment.authorized", payment.gateway_reference, amount="50.00", transaction="sbx_a")
    headers = signed(body)

    results = run_concurrently(
        [lambda: webhook_receive(gateway_code="sandbox", body=body, headers=headers, ip_address=None)] * 6, workers=6
    )

    assert {kind for kind, _value in results} == {"ok"}, results
    event_id = json.loads(body)["id"]
    assert WebhookEvent.objects.filter(event_id=event_id).count() == 1
    # The sandbox's own "captured" event came too, once.
    assert WebhookEvent.objects.filter(event_type="payment.captured").count() == 1
    payment.refresh_from_db()
    # The event made it authorized, and the capture task (eager) captured it once.
    assert payment.status == PaymentStatus.CAPTURED
    assert PaymentTransaction.objects.filter(payment=payment, transaction_type=TransactionType.CAPTURE).count() == 1
    assert SandboxOperation.objects.filter(operation="capture").count() == 1


def test_captures_racing_on_one_authorized_payment_capture_once():
    payment = card_payment(UserFactory(), THREE_DS)
    payment = card_payment_run(payment_id=payment.pk, return_url=RETURN_URL)
    from payments.gateways import gateway_record
    from payments.gateways.sandbox import SandboxGateway

    SandboxGateway(gateway_record("sandbox")).confirm(reference=payment.gateway_reference, approve=True)
    # The webhook went (eagerly) and the capture task captured; a burst of late captures changes nothing.
    results = run_concurrently([lambda: payment_capture(payment_id=payment.pk)] * 6, workers=6)
    assert {kind for kind, _value in results} == {"ok"}, results
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert SandboxOperation.objects.filter(operation="capture").count() == 1
