"""The fraud rules in the card engine, through the sandbox processor: a blocked payment fails at
once and never reaches the processor; a flagged one waits in review until staff clear it (then
it is authorized and captured) or block it; a cleared one is paid as before."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from payments.models import (
    FraudCheck,
    FraudStatus,
    PaymentPurpose,
    PaymentStatus,
    PaymentTransaction,
    SandboxOperation,
    TransactionStatus,
)
from payments.services.card import card_payment_create, card_payment_run, payment_void, payments_retry_due
from payments.services.fraud import RULE_LABELS, fraud_review_block, fraud_review_clear
from payments.signals import payment_captured, payment_failed

from .cards import OK, RETURN_URL, THREE_DS, saved_card
from .fraud_helpers import rules_set
from .helpers import order_for

pytestmark = pytest.mark.django_db

NEUTRAL = "We could not process this payment."


@pytest.fixture
def sent():
    """payment_captured / payment_failed as they are sent: (name, payment id, status)."""
    log: list[tuple[str, int, str]] = []

    def captured(sender, payment, **kwargs):
        log.append(("captured", payment.pk, payment.status))

    def failed(sender, payment, **kwargs):
        log.append(("failed", payment.pk, payment.status))

    payment_captured.connect(captured)
    payment_failed.connect(failed)
    yield log
    payment_captured.disconnect(captured)
    payment_failed.disconnect(failed)


def pay(user, number=OK, *, billing="US", shipping="DE", amount="40.00", **kwargs):
    """A card payment of a new order shipped to `shipping` with a card billed in `billing`, created
    as checkout creates it (in the caller's transaction)."""
    order = order_for(user, amount)
    order.shipping_country = shipping
    order.save(update_fields=["shipping_country"])
    card = saved_card(user, number, billing_country=billing)
    with transaction.atomic():
        return card_payment_create(
            user=user,
            amount=Decimal(amount),
            purpose=PaymentPurpose.ORDER,
            payment_method=card,
            order_id=order.pk,
            client_ip="203.0.113.20",
            **kwargs,
        )


def processor_calls() -> int:
    return SandboxOperation.objects.count()


# --- cleared: nothing changes for an ordinary payment ----------------------------------------------


def test_a_cleared_payment_is_authorized_and_captured_as_before(user, sent):
    rules_set()  # the country rule alone (0.200) is below review (0.500)
    payment = pay(user, device_fingerprint="device-abc")
    assert payment.status == PaymentStatus.PENDING
    check = FraudCheck.objects.get(payment=payment)
    assert check.status == FraudStatus.CLEARED and [r["code"] for r in check.rules] == ["country_mismatch"]
    assert (check.device_fingerprint, check.ip_address) == ("device-abc", "203.0.113.20")
    payment = card_payment_run(payment_id=payment.pk, return_url=RETURN_URL)
    assert payment.status == PaymentStatus.CAPTURED
    assert sent == [("captured", payment.pk, PaymentStatus.CAPTURED)]


def test_the_shipping_country_given_wins_over_the_orders(user):
    rules_set()
    payment = pay(user, billing="US", shipping="DE", shipping_country="US")
    assert FraudCheck.objects.get(payment=payment).rules == []


# --- blocked: fails at once, no processor call ------------------------------------------------------


def test_a_blocked_payment_fails_at_once_with_the_neutral_message_and_no_processor_call(user, sent):
    rules_set(review_threshold=Decimal("0.100"), block_threshold=Decimal("0.200"))
    payment = pay(user)
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_message == NEUTRAL
    assert FraudCheck.objects.get(payment=payment).status == FraudStatus.BLOCKED
    assert sent == [("failed", payment.pk, PaymentStatus.FAILED)]

    again = card_payment_run(payment_id=payment.pk, return_url=RETURN_URL)
    assert again.status == PaymentStatus.FAILED
    assert processor_calls() == 0  # the processor never heard of it
    (recorded,) = PaymentTransaction.objects.filter(payment=payment)
    assert recorded.status == TransactionStatus.FAILED and recorded.response_message == NEUTRAL


def test_what_the_customer_sees_of_a_blocked_payment_names_no_rule(api, user):
    rules_set(review_threshold=Decimal("0.100"), block_threshold=Decimal("0.200"))
    payment = pay(user)
    body = api.get(f"/api/v1/payments/{payment.pk}/").json()
    assert body["status"] == "failed" and body["failure_message"] == NEUTRAL
    seen = str(body).lower()
    for code, label in RULE_LABELS.items():
        assert code not in seen and str(label).lower() not in seen
    assert "fraud" not in seen and "country" not in seen and "score" not in seen


# --- flagged: waits for staff ----------------------------------------------------------------------


@pytest.fixture
def held(user):
    rules_set(review_threshold=Decimal("0.200"))
    payment = pay(user)
    assert payment.status == PaymentStatus.REVIEW
    return payment


def test_a_flagged_payment_waits_in_review_without_a_processor_call(api, held):
    assert card_payment_run(payment_id=held.pk, return_url=RETURN_URL).status == PaymentStatus.REVIEW
    assert processor_calls() == 0
    body = api.get(f"/api/v1/payments/{held.pk}/").json()
    assert body["status"] == "review" and body["failure_message"] == ""


def test_staff_clearing_a_flagged_payment_gets_it_authorized_and_captured(
    held, superuser, sent, django_capture_on_commit_callbacks
):
    check = FraudCheck.objects.get(payment=held)
    with django_capture_on_commit_callbacks(execute=True):
        fraud_review_clear(check_id=check.pk, reviewer=superuser, note="Called the customer")
    held.refresh_from_db()
    assert held.status == PaymentStatus.CAPTURED and held.captured_amount == Decimal("40.00")
    assert sent == [("captured", held.pk, PaymentStatus.CAPTURED)]
    assert processor_calls() > 0


def test_a_cleared_card_that_asks_for_confirmation_waits_for_the_customer(
    user, superuser, django_capture_on_commit_callbacks
):
    rules_set(review_threshold=Decimal("0.200"))
    payment = pay(user, THREE_DS)
    assert payment.status == PaymentStatus.REVIEW
    with django_capture_on_commit_callbacks(execute=True):
        fraud_review_clear(check_id=payment.fraud_check.pk, reviewer=superuser, note="ok")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.ACTION_REQUIRED and payment.action_url


def test_staff_blocking_a_flagged_payment_fails_it_without_a_processor_call(
    held, superuser, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        fraud_review_block(check_id=held.fraud_check.pk, reviewer=superuser, note="Card reported stolen")
    held.refresh_from_db()
    assert held.status == PaymentStatus.FAILED and held.failure_message == NEUTRAL
    assert sent == [("failed", held.pk, PaymentStatus.FAILED)]
    assert card_payment_run(payment_id=held.pk, return_url=RETURN_URL).status == PaymentStatus.FAILED
    assert processor_calls() == 0


def test_a_replayed_create_returns_the_same_payment_judged_once(user):
    rules_set(review_threshold=Decimal("0.200"))
    first = pay(user, idempotency_key="pay-1", fingerprint="f")
    card = first.payment_method
    with transaction.atomic():
        again = card_payment_create(
            user=user,
            amount=Decimal("40.00"),
            purpose=PaymentPurpose.ORDER,
            payment_method=card,
            order_id=first.order_id,
            idempotency_key="pay-1",
            fingerprint="f",
        )
    assert again.pk == first.pk and again.status == PaymentStatus.REVIEW
    assert FraudCheck.objects.filter(payment=first).count() == 1


def test_a_cleared_payment_whose_task_was_lost_is_authorized_by_the_retry_task(
    held, superuser, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:  # the broker lost it
        fraud_review_clear(check_id=held.fraud_check.pk, reviewer=superuser, note="ok")
    assert len(callbacks) == 1
    held.refresh_from_db()
    assert held.status == PaymentStatus.PENDING and held.retry_after is not None
    assert payments_retry_due(now=timezone.now()) == 0  # the task has its chance first
    assert payments_retry_due(now=timezone.now() + dt.timedelta(minutes=3)) == 1
    held.refresh_from_db()
    assert held.status == PaymentStatus.CAPTURED and held.retry_after is None
    assert sent == [("captured", held.pk, PaymentStatus.CAPTURED)]


def test_a_late_task_after_the_backstop_changes_nothing(held, superuser, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        fraud_review_clear(check_id=held.fraud_check.pk, reviewer=superuser, note="ok")
    assert payments_retry_due(now=timezone.now() + dt.timedelta(minutes=3)) == 1
    callbacks[0]()  # the task arrives late: the payment has left pending, nothing to do
    held.refresh_from_db()
    assert held.status == PaymentStatus.CAPTURED and held.captured_amount == Decimal("40.00")
    kinds = list(PaymentTransaction.objects.filter(payment=held).values_list("transaction_type", flat=True))
    assert kinds == ["authorization", "capture"]


def test_blocking_a_payment_voided_meanwhile_leaves_it_voided(held, superuser, sent):
    payment_void(payment_id=held.pk, reason="order expired")
    fraud_review_block(check_id=held.fraud_check.pk, reviewer=superuser, note="late")
    held.refresh_from_db()
    assert held.status == PaymentStatus.VOIDED and held.failure_message == ""
    assert [name for name, *_ in sent] == []
