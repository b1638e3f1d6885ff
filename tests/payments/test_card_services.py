"""The card engine (payments.services.card) against the sandbox processor: every transition
allowed and refused, declines, the confirmation step, timeouts resolved by the retry task."""

import datetime as dt
from decimal import Decimal
from itertools import product

import pytest
from django.db import transaction
from django.utils import timezone

from common.exceptions import IdempotencyKeyReuseError
from payments.exceptions import PaymentMethodUnusableError
from payments.gateways import GatewayResult, ResultStatus
from payments.models import (
    LogLevel,
    Payment,
    PaymentLog,
    PaymentMethodStatus,
    PaymentPurpose,
    PaymentStatus,
    PaymentTransaction,
    SandboxOperation,
    TransactionStatus,
    TransactionType,
)
from payments.services.card import (
    card_payment_create,
    card_payment_run,
    payment_capture,
    payment_may_move,
    payment_record,
    payment_void,
    payments_retry_due,
)
from payments.signals import payment_captured, payment_failed, payment_voided
from tests.factories.accounts import UserFactory

from .cards import (
    AUTH_TIMEOUT,
    CAPTURE_TIMEOUT,
    DECLINED,
    NO_FUNDS,
    RETURN_URL,
    THREE_DS,
    card_payment,
    sandbox,
    saved_card,
)
from .helpers import order_for

pytestmark = pytest.mark.django_db

S = PaymentStatus
LATER = dt.timedelta(hours=2)


@pytest.fixture
def sent():
    """The payment signals sent during the test, as (signal name, payment id, status)."""
    log: list[tuple[str, int, str]] = []
    receivers = {}
    for name, signal in (("captured", payment_captured), ("failed", payment_failed), ("voided", payment_voided)):

        def receiver(sender, payment, _name=name, **kwargs):
            log.append((_name, payment.pk, payment.status))

        receivers[name] = receiver
        signal.connect(receiver, weak=False)
    yield log
    payment_captured.disconnect(receivers["captured"])
    payment_failed.disconnect(receivers["failed"])
    payment_voided.disconnect(receivers["voided"])


def _result(status, txn, **kwargs):
    return GatewayResult(status, txn, kwargs.pop("reference", ""), **kwargs)


# --- the rule ---------------------------------------------------------------------------------------

ALLOWED = {
    (S.PENDING, S.REVIEW),
    (S.PENDING, S.ACTION_REQUIRED),
    (S.PENDING, S.AUTHORIZED),
    (S.PENDING, S.CAPTURED),
    (S.PENDING, S.PARTIALLY_REFUNDED),
    (S.PENDING, S.REFUNDED),
    (S.PENDING, S.FAILED),
    (S.PENDING, S.VOIDED),
    (S.REVIEW, S.AUTHORIZED),
    (S.REVIEW, S.CAPTURED),
    (S.REVIEW, S.PARTIALLY_REFUNDED),
    (S.REVIEW, S.REFUNDED),
    (S.REVIEW, S.FAILED),
    (S.REVIEW, S.VOIDED),
    (S.ACTION_REQUIRED, S.AUTHORIZED),
    (S.ACTION_REQUIRED, S.CAPTURED),
    (S.ACTION_REQUIRED, S.PARTIALLY_REFUNDED),
    (S.ACTION_REQUIRED, S.REFUNDED),
    (S.ACTION_REQUIRED, S.FAILED),
    (S.ACTION_REQUIRED, S.VOIDED),
    (S.AUTHORIZED, S.CAPTURED),
    (S.AUTHORIZED, S.PARTIALLY_REFUNDED),
    (S.AUTHORIZED, S.REFUNDED),
    (S.AUTHORIZED, S.FAILED),
    (S.AUTHORIZED, S.VOIDED),
    (S.CAPTURED, S.PARTIALLY_REFUNDED),
    (S.CAPTURED, S.REFUNDED),
    (S.PARTIALLY_REFUNDED, S.REFUNDED),
}


@pytest.mark.parametrize(("current", "target"), list(product(S.values, S.values)))
def test_every_transition_is_allowed_or_refused_by_rank(current, target):
    assert payment_may_move(current, target) is ((current, target) in ALLOWED)


# --- create ---------------------------------------------------------------------------------------


def test_create_makes_a_pending_card_payment_of_the_method():
    user = UserFactory()
    method = saved_card(user)
    order = order_for(user, "30.00")
    payment = card_payment_create(
        user=user, amount=Decimal("30.00"), purpose=PaymentPurpose.ORDER, payment_method=method, order_id=order.pk
    )
    assert (payment.status, payment.amount, payment.method, payment.gateway.code) == (
        S.PENDING,
        Decimal("30.00"),
        "card",
        "sandbox",
    )
    assert payment.payment_method == method and payment.gateway_reference is None


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda method, user: {"user": UserFactory()}, id="another user's"),
        pytest.param(lambda method, user: {"status": PaymentMethodStatus.INACTIVE}, id="removed"),
        pytest.param(lambda method, user: {"status": PaymentMethodStatus.EXPIRED}, id="marked expired"),
        pytest.param(lambda method, user: {"exp_year": 2001, "exp_month": 1}, id="past its expiry"),
    ],
)
def test_create_refuses_a_method_that_cannot_pay(spoil):
    user = UserFactory()
    method = saved_card(user)
    for field, value in spoil(method, user).items():
        setattr(method, field, value)
    method.save()
    order = order_for(user)
    with pytest.raises(PaymentMethodUnusableError):
        card_payment_create(
            user=user, amount=Decimal("50.00"), purpose=PaymentPurpose.ORDER, payment_method=method, order_id=order.pk
        )
    assert not Payment.objects.exists()


def test_create_with_the_same_key_returns_the_first_payment_and_refuses_another_request():
    user = UserFactory()
    method = saved_card(user)
    kwargs = {"user": user, "purpose": PaymentPurpose.WALLET_TOPUP, "payment_method": method, "idempotency_key": "k1"}
    first = card_payment_create(amount=Decimal("20.00"), fingerprint="f-20", **kwargs)
    again = card_payment_create(amount=Decimal("20.00"), fingerprint="f-20", **kwargs)
    assert again.pk == first.pk
    with pytest.raises(IdempotencyKeyReuseError):
        card_payment_create(amount=Decimal("99.00"), fingerprint="f-99", **kwargs)
    assert Payment.objects.count() == 1


# --- run: success, declines -------------------------------------------------------------------


def test_a_good_card_is_authorized_then_captured_once(sent):
    payment = card_payment(UserFactory(), amount="42.10")
    payment = card_payment_run(payment_id=payment.pk, return_url=RETURN_URL)

    assert payment.status == S.CAPTURED
    assert payment.captured_amount == Decimal("42.10")
    assert payment.authorized_at and payment.captured_at and payment.gateway_reference.startswith("pi_")
    kinds = list(payment.transactions.values_list("transaction_type", "status"))
    assert kinds == [(TransactionType.AUTHORIZATION, TransactionStatus.SUCCESS), (TransactionType.CAPTURE, "success")]
    assert sent == [("captured", payment.pk, S.CAPTURED)]
    assert SandboxOperation.objects.filter(operation="capture").count() == 1

    # Running it again does nothing: it is captured.
    again = card_payment_run(payment_id=payment.pk, return_url=RETURN_URL)
    assert again.status == S.CAPTURED and again.transactions.count() == 2 and len(sent) == 1


@pytest.mark.parametrize(
    ("number", "code", "message"),
    [
        (DECLINED, "card_declined", "Your card was declined."),
        (NO_FUNDS, "insufficient_funds", "Your card has insufficient funds."),
    ],
)
def test_a_declined_card_fails_with_the_reason_and_nothing_is_captured(sent, number, code, message):
    payment = card_payment(UserFactory(), number)
    payment = card_payment_run(payment_id=payment.pk, return_url=RETURN_URL)

    assert (payment.status, payment.failure_code, payment.failure_message) == (S.FAILED, code, message)
    assert payment.captured_amount == 0
    assert list(payment.transactions.values_list("transaction_type", "status", "response_code")) == [
        (TransactionType.AUTHORIZATION, TransactionStatus.FAILED, code)
    ]
    assert sent == [("failed", payment.pk, S.FAILED)]
    assert not SandboxOperation.objects.filter(operation="capture").exists()


def test_a_card_needing_confirmation_waits_for_the_customer(sent):
    payment = card_payment(UserFactory(), THREE_DS)
    payment = card_payment_run(payment_id=payment.pk, return_url=RETURN_URL)

    assert payment.status == S.ACTION_REQUIRED
    assert payment.action_url == f"/sandbox-gateway/confirm/{payment.gateway_reference}/"
    assert sent == []


@pytest.mark.parametrize(("approve", "status", "signal"), [(True, S.CAPTURED, "captured"), (False, S.FAILED, "failed")])
def test_the_confirmation_step_ends_captured_or_failed_through_the_webhook(
    django_capture_on_commit_callbacks, sent, approve, status, signal
):
    payment = card_payment(UserFactory(), THREE_DS)
    payment = card_payment_run(payment_id=payment.pk, return_url=RETURN_URL)

    with django_capture_on_commit_callbacks(execute=True):  # the webhook, then the capture task
        back = sandbox().confirm(reference=payment.gateway_reference, approve=approve)

    assert back == RETURN_URL
    payment.refresh_from_db()
    assert payment.status == status and payment.action_url == ""
    assert sent == [(signal, payment.pk, status)]
    if not approve:
        assert payment.failure_code == "authentication_failed"
        assert payment.failure_message == "The payment was not confirmed with your bank."


def test_a_token_the_processor_does_not_know_fails_without_a_charge(sent):
    user = UserFactory()
    payment = card_payment(user)
    payment.payment_method.token = "tok_garbage"
    payment.payment_method.save()
    payment = card_payment_run(payment_id=payment.pk, return_url=RETURN_URL)
    assert payment.status == S.FAILED and payment.failure_code == "gateway_error"
    assert "Nothing was charged" in payment.failure_message
    assert PaymentLog.objects.filter(payment=payment, level=LogLevel.ERROR).exists()


# --- timeouts and the retry task --------------------------------------------------------------


def test_a_timed_out_capture_is_retried_by_the_task_and_lands_once(sent):
    payment = card_payment(UserFactory(), CAPTURE_TIMEOUT, amount="25.00")
    payment = card_payment_run(payment_id=payment.pk, return_url=RETURN_URL)

    assert payment.status == S.AUTHORIZED and payment.attempts == 1 and payment.retry_after is not None
    assert PaymentLog.objects.filter(payment=payment, level=LogLevel.WARNING, message__contains="capture").exists()
    assert payments_retry_due(now=timezone.now()) == 0  # not due yet

    assert payments_retry_due(now=timezone.now() + LATER) == 1
    payment.refresh_from_db()
    assert payment.status == S.CAPTURED and payment.captured_amount == Decimal("25.00")
    assert payment.retry_after is None
    assert SandboxOperation.objects.filter(operation="capture").count() == 1  # one capture at the processor
    assert payment.transactions.filter(transaction_type=TransactionType.CAPTURE, status="success").count() == 1
    assert sent == [("captured", payment.pk, S.CAPTURED)]
    assert payments_retry_due(now=timezone.now() + LATER) == 0  # nothing left to do


def test_a_timed_out_capture_whose_webhook_came_first_is_not_recorded_twice(django_capture_on_commit_callbacks, sent):
    payment = card_payment(UserFactory(), CAPTURE_TIMEOUT)
    with django_capture_on_commit_callbacks(execute=True):  # the processor's webhooks arrive
        payment = card_payment_run(payment_id=payment.pk, return_url=RETURN_URL)
    payment.refresh_from_db()
    assert payment.status == S.CAPTURED and payment.retry_after is None

    assert payments_retry_due(now=timezone.now() + LATER) == 0
    assert payment.transactions.filter(transaction_type=TransactionType.CAPTURE).count() == 1
    assert sent == [("captured", payment.pk, S.CAPTURED)]


def test_a_timed_out_authorization_is_resolved_by_the_retry_task(sent):
    payment = card_payment(UserFactory(), AUTH_TIMEOUT)
    payment = card_payment_run(payment_id=payment.pk, return_url=RETURN_URL)
    assert payment.status == S.PENDING and payment.attempts == 1 and payment.gateway_reference is None

    assert payments_retry_due(now=timezone.now() + LATER) == 1
    payment.refresh_from_db()
    assert payment.status == S.CAPTURED and payment.gateway_reference
    assert SandboxOperation.objects.filter(operation="authorize").count() == 1  # asked twice, authorized once
    assert payment.transactions.filter(transaction_type=TransactionType.AUTHORIZATION).count() == 1
    assert sent == [("captured", payment.pk, S.CAPTURED)]


def test_the_retry_task_backs_off_while_the_processor_stays_silent(monkeypatch):
    payment = card_payment(UserFactory(), CAPTURE_TIMEOUT)
    payment = card_payment_run(payment_id=payment.pk, return_url=RETURN_URL)
    first_delay = payment.retry_after - timezone.now()

    from payments.gateways import GatewayTimeoutError
    from payments.gateways.sandbox import SandboxGateway

    def silent(self, **kwargs):
        raise GatewayTimeoutError("no answer")

    monkeypatch.setattr(SandboxGateway, "capture", silent)
    payments_retry_due(now=timezone.now() + LATER)
    payment.refresh_from_db()
    assert payment.status == S.AUTHORIZED and payment.attempts == 2
    assert payment.retry_after - timezone.now() > first_delay


# --- record: repeats and order ---------------------------------------------------------------------


def test_recording_the_same_transaction_twice_changes_nothing(sent):
    payment = card_payment(UserFactory())
    result = _result(ResultStatus.CAPTURED, "txn-1", reference="pi_x", raw={"amount": "50.00"})
    payment_record(payment_id=payment.pk, result=result, transaction_type=TransactionType.CAPTURE)
    payment_record(payment_id=payment.pk, result=result, transaction_type=TransactionType.CAPTURE)
    payment.refresh_from_db()
    assert payment.status == S.CAPTURED and payment.captured_amount == Decimal("50.00")
    assert PaymentTransaction.objects.filter(payment=payment).count() == 1
    assert sent == [("captured", payment.pk, S.CAPTURED)]


def test_captured_before_authorized_converges_on_captured(sent):
    payment = card_payment(UserFactory())
    payment_record(
        payment_id=payment.pk,
        result=_result(ResultStatus.CAPTURED, "txn-cap", reference="pi_y"),
        transaction_type=TransactionType.CAPTURE,
    )
    late = payment_record(
        payment_id=payment.pk,
        result=_result(ResultStatus.AUTHORIZED, "txn-auth", reference="pi_y"),
        transaction_type=TransactionType.AUTHORIZATION,
    )
    assert late.status == S.CAPTURED and late.authorized_at is not None
    assert late.transactions.count() == 2  # both answers are kept, the state did not go back
    assert sent == [("captured", payment.pk, S.CAPTURED)]


@pytest.mark.parametrize("final", [ResultStatus.DECLINED, ResultStatus.VOIDED])
def test_a_captured_payment_never_fails_or_voids(sent, final):
    payment = card_payment(UserFactory())
    payment_record(
        payment_id=payment.pk, result=_result(ResultStatus.CAPTURED, "t1"), transaction_type=TransactionType.CAPTURE
    )
    after = payment_record(payment_id=payment.pk, result=_result(final, "t2"), transaction_type=TransactionType.VOID)
    assert after.status == S.CAPTURED
    assert PaymentLog.objects.filter(payment=payment, level=LogLevel.WARNING, message__contains="stays").exists()
    assert [name for name, *_ in sent] == ["captured"]


def test_a_failed_payment_stays_failed_when_a_late_capture_answer_comes():
    payment = card_payment(UserFactory())
    declined = _result(ResultStatus.DECLINED, "t1")
    payment_record(payment_id=payment.pk, result=declined, transaction_type=TransactionType.AUTHORIZATION)
    after = payment_record(
        payment_id=payment.pk, result=_result(ResultStatus.AUTHORIZED, "t2"), transaction_type=TransactionType.CAPTURE
    )
    assert after.status == S.FAILED


# --- capture and void -----------------------------------------------------------------------------


def test_capture_of_a_payment_not_authorized_does_nothing():
    payment = card_payment(UserFactory())
    assert payment_capture(payment_id=payment.pk).status == S.PENDING
    assert not SandboxOperation.objects.exists()


def _authorized(payment):
    """Authorize at the processor and record it, without capturing (as before the capture task runs)."""
    result = sandbox().authorize(
        token=payment.payment_method.token,
        amount=payment.amount,
        currency="USD",
        idempotency_key=f"payment:{payment.pk}:authorize",
        return_url="",
        metadata={},
    )
    return payment_record(payment_id=payment.pk, result=result, transaction_type=TransactionType.AUTHORIZATION)


def test_void_of_an_authorized_payment_cancels_it_at_the_processor(sent):
    payment = _authorized(card_payment(UserFactory()))
    assert payment.status == S.AUTHORIZED

    voided = payment_void(payment_id=payment.pk, reason="order expired")
    assert voided.status == S.VOIDED
    assert SandboxOperation.objects.get(key=f"intent:{payment.gateway_reference}").state == "voided"
    assert sent == [("voided", payment.pk, S.VOIDED)]
    # A capture after the void does nothing, here or at the processor.
    assert payment_capture(payment_id=payment.pk).status == S.VOIDED
    assert not SandboxOperation.objects.filter(operation="capture").exists()


def test_void_of_a_payment_waiting_for_confirmation(sent):
    payment = card_payment(UserFactory(), THREE_DS)
    payment = card_payment_run(payment_id=payment.pk, return_url=RETURN_URL)
    voided = payment_void(payment_id=payment.pk, reason="order expired")
    assert voided.status == S.VOIDED
    assert SandboxOperation.objects.get(key=f"intent:{payment.gateway_reference}").state == "voided"
    assert sent == [("voided", payment.pk, S.VOIDED)]
    assert voided.transactions.filter(transaction_type=TransactionType.VOID, status="success").count() == 1


def test_void_of_a_payment_the_processor_never_saw_voids_it_here(sent):
    payment = card_payment(UserFactory())
    voided = payment_void(payment_id=payment.pk, reason="order expired")
    assert voided.status == S.VOIDED
    assert not SandboxOperation.objects.exists()
    assert sent == [("voided", payment.pk, S.VOIDED)]


def test_void_of_a_captured_payment_leaves_it_captured(sent):
    payment = card_payment_run(payment_id=card_payment(UserFactory()).pk, return_url=RETURN_URL)
    assert payment_void(payment_id=payment.pk, reason="too late").status == S.CAPTURED
    assert [name for name, *_ in sent] == ["captured"]


def test_void_after_the_processor_captured_records_the_capture(sent):
    """The processor captured (its answer timed out, its webhook not arrived): the void is refused
    there and the shop learns the truth, so the caller refunds instead."""
    payment = card_payment(UserFactory(), CAPTURE_TIMEOUT)
    payment = card_payment_run(payment_id=payment.pk, return_url=RETURN_URL)  # captured at the processor
    after = payment_void(payment_id=payment.pk, reason="order expired")
    assert after.status == S.CAPTURED
    assert sent == [("captured", payment.pk, S.CAPTURED)]


def test_an_authorization_arriving_for_a_voided_payment_is_released(django_capture_on_commit_callbacks, sent):
    payment = card_payment(UserFactory(), AUTH_TIMEOUT)
    payment = card_payment_run(payment_id=payment.pk, return_url=RETURN_URL)  # pending, reference unknown
    with transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(status=S.VOIDED)  # given up on meanwhile
    with django_capture_on_commit_callbacks(execute=True):
        _authorized(payment)  # the late answer: the same call again gets the processor's authorization
    payment.refresh_from_db()
    assert payment.status == S.VOIDED
    assert SandboxOperation.objects.get(key=f"intent:{payment.gateway_reference}").state == "voided"
    assert PaymentLog.objects.filter(payment=payment, level=LogLevel.ERROR, message__contains="releasing").exists()
