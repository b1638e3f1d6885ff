"""POST /api/v1/webhooks/{gateway}/: signed events applied once, in any order; forged, old or
malformed ones change nothing and are logged with the client address."""

import time

import pytest

from payments.models import LogLevel, Payment, PaymentLog, PaymentStatus, PaymentTransaction, WebhookEvent
from payments.services.card import card_payment_run
from payments.services.webhooks import webhook_receive
from tests.factories.accounts import UserFactory

from .cards import RETURN_URL, THREE_DS, card_payment, sandbox_event, signed

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/sandbox/"


@pytest.fixture
def waiting():
    """A payment waiting for the customer's confirmation (the processor knows it)."""
    payment = card_payment(UserFactory(), THREE_DS, amount="30.00")
    return card_payment_run(payment_id=payment.pk, return_url=RETURN_URL)


def _post(client, body: bytes, headers: dict[str, str], **extra):
    return client.post(
        URL, data=body, content_type="application/json", headers=headers, REMOTE_ADDR="203.0.113.9", **extra
    )


def _state(payment):
    payment.refresh_from_db()
    return payment.status, payment.transactions.count(), WebhookEvent.objects.count()


def test_a_signed_event_is_applied(client, waiting):
    body = sandbox_event("payment.failed", waiting.gateway_reference, amount="30.00", code="x", message="Refused.")
    response = _post(client, body, signed(body))
    assert response.status_code == 200
    assert response.json()["outcome"] == "applied: action_required -> failed"
    waiting.refresh_from_db()
    assert (waiting.status, waiting.failure_message) == (PaymentStatus.FAILED, "Refused.")
    event = WebhookEvent.objects.get()
    assert event.payment == waiting and event.processed_at and event.occurred_at


def test_an_authorized_event_makes_the_capture_task_capture(client, waiting, django_capture_on_commit_callbacks):
    # The processor really authorized it (the customer approved), then says so.
    from payments.models import SandboxOperation

    SandboxOperation.objects.filter(key=f"intent:{waiting.gateway_reference}").update(state="authorized")
    body = sandbox_event("payment.authorized", waiting.gateway_reference, amount="30.00", transaction="sbx_1")
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, body, signed(body)).status_code == 200
    waiting.refresh_from_db()
    assert waiting.status == PaymentStatus.CAPTURED


def test_a_replayed_event_is_applied_once(client, waiting):
    body = sandbox_event("payment.authorized", waiting.gateway_reference, amount="30.00", transaction="sbx_auth")
    first = _post(client, body, signed(body))
    again = _post(client, body, signed(body))  # signed afresh: a replay within the tolerance

    assert first.status_code == again.status_code == 200
    assert again.json()["outcome"] == "already applied"
    assert _state(waiting) == (PaymentStatus.AUTHORIZED, 2, 1)  # the authorization request + this event
    assert PaymentLog.objects.filter(message__contains="already applied").count() == 1


def test_events_out_of_order_converge_on_captured(client, waiting):
    captured = sandbox_event("payment.captured", waiting.gateway_reference, amount="30.00", transaction="sbx_cap")
    authorized = sandbox_event("payment.authorized", waiting.gateway_reference, amount="30.00", transaction="sbx_auth")
    failed = sandbox_event("payment.failed", waiting.gateway_reference, code="card_declined", message="No.")
    for body in (captured, authorized, failed):
        assert _post(client, body, signed(body)).status_code == 200
    waiting.refresh_from_db()
    assert waiting.status == PaymentStatus.CAPTURED and waiting.captured_amount == waiting.amount
    assert waiting.failure_message == ""


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda body: signed(body, secret="not-the-secret"), id="bad signature"),
        pytest.param(lambda body: signed(body, timestamp=int(time.time()) - 301), id="older than 5 minutes"),
        # Ten seconds past the 300 s tolerance: int() drops up to a second of the clock, and the
        # request takes some more before the check (+301 passed when the two made up a second).
        pytest.param(lambda body: signed(body, timestamp=int(time.time()) + 310), id="from the future"),
        pytest.param(lambda body: {}, id="no signature"),
        pytest.param(lambda body: {"Sandbox-Signature": "t=abc,v1=00"}, id="malformed signature"),
        pytest.param(lambda body: signed(body + b" "), id="body changed after signing"),
    ],
)
def test_a_forged_or_old_event_changes_nothing_and_is_logged(client, waiting, forge):
    before = _state(waiting)
    body = sandbox_event("payment.captured", waiting.gateway_reference, amount="30.00")
    response = _post(client, body, forge(body))

    assert response.status_code == 400
    assert response.json()["code"] == "webhook_rejected"
    assert _state(waiting) == before
    log = PaymentLog.objects.get(source="webhook", level=LogLevel.WARNING)
    assert log.ip_address == "203.0.113.9" and log.message.startswith("Webhook refused")


@pytest.mark.parametrize("body", [b"not json", b'{"id": "evt_1"}', b"[]", b'{"id": 1, "type": "x", "data": 5}'])
def test_a_signed_body_that_is_not_an_event_is_refused(client, waiting, body):
    before = _state(waiting)
    response = _post(client, body, signed(body))
    assert response.status_code == 400 and _state(waiting) == before


def test_an_unknown_gateway_is_a_404_and_the_wallet_takes_no_webhooks(client):
    body = sandbox_event("payment.captured", "pi_x")
    assert client.post("/api/v1/webhooks/nope/", data=body, content_type="application/json").status_code == 404
    wallet = client.post("/api/v1/webhooks/wallet/", data=body, content_type="application/json", headers=signed(body))
    assert wallet.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_an_event_for_an_unknown_payment_is_recorded_and_ignored(client):
    body = sandbox_event("payment.captured", "pi_unknown", amount="5.00")
    response = _post(client, body, signed(body))
    assert response.status_code == 200 and response.json()["outcome"] == "ignored: no payment with this reference"
    assert not PaymentTransaction.objects.exists()


def test_refund_events_are_recorded_and_left_to_the_refund_service(client):
    # The refund service's own tests: tests/payments/test_refunds_services.py (webhooks).
    body = sandbox_event("refund.succeeded", "pi_x", amount="5.00", refund="re_1")
    event = webhook_receive(gateway_code="sandbox", body=body, headers=signed(body), ip_address=None)
    assert event.event_type == "refund.succeeded"
    assert event.outcome == "no refund with this reference yet: the refund call's answer records it"
    assert not Payment.objects.exists()


def test_the_webhook_needs_no_sign_in_and_no_csrf_token(waiting):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    body = sandbox_event("payment.voided", waiting.gateway_reference, transaction="sbx_void")
    assert _post(client, body, signed(body)).status_code == 200
    waiting.refresh_from_db()
    assert waiting.status == PaymentStatus.VOIDED
