"""Refunds through the gateway (`payments.services.refunds`): a refund to a card is pending and
counted against the cap at once, then the gateway call after commit completes it, or a refusal
fails it and gives its amount back to the cap; a timed-out call is repeated with the same key and
lands once. Store credit stays a wallet credit."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from common.exceptions import IdempotencyKeyReuseError, InvalidTransitionError, NotFoundError
from payments.exceptions import (
    InvalidAmountError,
    OrderRefundCapError,
    RefundExceedsPaymentError,
    RefundNotAllowedError,
    RefundReasonRequiredError,
)
from payments.gateways import GatewayError, GatewayResult, GatewayTimeoutError, ResultStatus, WebhookMessage
from payments.gateways.sandbox import SandboxGateway
from payments.models import (
    LogLevel,
    Payment,
    PaymentLog,
    PaymentPurpose,
    PaymentStatus,
    PaymentTransaction,
    Refund,
    RefundDestination,
    RefundStatus,
    RefundTransaction,
    TransactionStatus,
)
from payments.services import order_refund, order_refundable, wallet_charge
from payments.services.refunds import (
    RESUME_AFTER,
    refund_process,
    refund_request,
    refund_retry,
    refund_webhook_apply,
    refunds_resume,
)
from payments.tasks import refund_process_task
from tests.factories.accounts import CustomerFactory

from .helpers import balance_of, ledger_sum, order_for
from .refunds_helpers import card_payment, processor_refund_calls, processor_refunded

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    user = CustomerFactory().user
    wallet_charge(user=user, amount="10.00")
    return user


@pytest.fixture
def paid(customer):
    """A card payment of 60.00, captured at the sandbox."""
    return card_payment(order_for(customer, "60.00"))


@pytest.fixture
def run_after_commit(django_capture_on_commit_callbacks):
    """Run what a block queues after commit (the refund task, eagerly) when the block ends."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def refund(payment, amount, **kwargs):
    kwargs.setdefault("reason", "damaged")
    kwargs.setdefault("actor", None)
    return refund_request(payment_id=payment.pk, amount=Decimal(amount), **kwargs).refund


# --- to the card --------------------------------------------------------------------------------


def test_a_full_refund_goes_back_to_the_card(paid, customer, run_after_commit, superuser):
    with run_after_commit():
        made = refund(paid, "60.00", actor=superuser)

    made.refresh_from_db()
    paid.refresh_from_db()
    assert (made.status, made.destination, made.processed_by) == (RefundStatus.COMPLETED, "original", superuser)
    assert made.gateway_reference.startswith("re_")
    assert (paid.refunded_amount, paid.status) == (Decimal("60.00"), PaymentStatus.REFUNDED)
    assert processor_refunded(paid) == Decimal("60.00")
    [done] = RefundTransaction.objects.filter(refund=made)
    assert (done.transaction_id, done.status, done.amount) == (made.gateway_reference, "success", Decimal("60.00"))
    assert PaymentTransaction.objects.filter(
        payment=paid, transaction_type="refund", transaction_id=made.gateway_reference, status="success"
    ).exists()
    assert balance_of(customer) == Decimal("10.00") == ledger_sum(customer)  # nothing went to the wallet
    messages = list(PaymentLog.objects.filter(refund=made).order_by("id").values_list("message", flat=True))
    assert messages == [
        "Refund of 60.00 USD to the card requested",
        "Refund of 60.00 USD to the card completed",
    ]


def test_partial_refunds_several_per_payment_never_past_what_was_captured(paid, run_after_commit):
    with run_after_commit():
        refund(paid, "20.00")
        refund(paid, "15.50")
    with pytest.raises(RefundExceedsPaymentError) as refused:
        refund(paid, "24.51")
    assert refused.value.extra == {"refundable": "24.50", "requested": "24.51"}
    assert "24.50" in str(refused.value.message)

    paid.refresh_from_db()
    assert (paid.refunded_amount, paid.status) == (Decimal("35.50"), PaymentStatus.PARTIALLY_REFUNDED)
    with run_after_commit():
        refund(paid, "24.50")
    paid.refresh_from_db()
    assert (paid.refunded_amount, paid.status) == (Decimal("60.00"), PaymentStatus.REFUNDED)
    assert list(Refund.objects.filter(payment=paid).values_list("status", flat=True)) == ["completed"] * 3
    assert processor_refunded(paid) == Decimal("60.00") and processor_refund_calls(paid) == 3


def test_a_pending_refund_holds_the_cap_while_the_money_travels(paid, customer):
    pending = refund(paid, "50.00")  # its task has not run yet

    assert pending.status == RefundStatus.PENDING
    paid.refresh_from_db()
    assert paid.refunded_amount == Decimal("50.00")
    assert order_refundable(order_id=paid.order_id) == Decimal("10.00")
    with pytest.raises(OrderRefundCapError):
        order_refund(order_id=paid.order_id, amount="10.01", reason="x", actor=None, destination="wallet")
    assert processor_refunded(paid) == Decimal("0")


def test_store_credit_of_a_card_payment_goes_to_the_wallet_at_once(paid, customer, run_after_commit):
    with run_after_commit() as queued:
        credit = refund(paid, "25.00", destination=RefundDestination.WALLET)

    assert queued == []  # no gateway call
    assert (credit.status, credit.destination) == (RefundStatus.COMPLETED, "wallet")
    assert balance_of(customer) == Decimal("35.00") == ledger_sum(customer)
    assert processor_refunded(paid) == Decimal("0")
    paid.refresh_from_db()
    assert (paid.refunded_amount, paid.status) == (Decimal("25.00"), PaymentStatus.PARTIALLY_REFUNDED)


def test_a_wallet_payment_is_refunded_to_the_wallet_as_before(customer, run_after_commit):
    from .helpers import paid_from_wallet

    payment = paid_from_wallet(customer, order_for(customer, "8.00").pk, "8.00")
    with run_after_commit() as queued:
        made = refund(payment, "8.00")
    assert queued == [] and made.status == RefundStatus.COMPLETED
    assert balance_of(customer) == Decimal("10.00") == ledger_sum(customer)


# --- refusals, timeouts, retries ----------------------------------------------------------------


def test_a_refusal_fails_the_refund_and_gives_the_cap_back(paid, run_after_commit):
    # The processor has nothing left to give back: the money went back another way.
    SandboxGateway(paid.gateway).refund(reference=paid.gateway_reference, amount=Decimal("60.00"), idempotency_key="x")
    with run_after_commit():
        made = refund(paid, "40.00")

    made.refresh_from_db()
    paid.refresh_from_db()
    assert made.status == RefundStatus.FAILED
    assert made.failure_message == "cannot refund more than was captured"
    assert (paid.refunded_amount, paid.status) == (Decimal("0.00"), PaymentStatus.CAPTURED)
    assert order_refundable(order_id=paid.order_id) == Decimal("60.00")
    [refused] = RefundTransaction.objects.filter(refund=made)
    assert (refused.status, refused.response_code) == (TransactionStatus.FAILED, "gateway_error")
    assert PaymentLog.objects.filter(refund=made, level=LogLevel.ERROR).exists()


def test_a_failed_refund_is_retried_with_a_new_key(paid, run_after_commit, monkeypatch, superuser):
    real_refund = SandboxGateway.refund
    keys: list[str] = []

    def refuse_first(self, *, reference, amount, idempotency_key):
        keys.append(idempotency_key)
        if len(keys) == 1:
            raise GatewayError("the processor is unavailable")
        return real_refund(self, reference=reference, amount=amount, idempotency_key=idempotency_key)

    monkeypatch.setattr(SandboxGateway, "refund", refuse_first)
    with run_after_commit():
        made = refund(paid, "30.00")
    made.refresh_from_db()
    assert made.status == RefundStatus.FAILED

    with run_after_commit():
        refund_retry(refund_id=made.pk, actor=superuser)

    made.refresh_from_db()
    paid.refresh_from_db()
    assert made.status == RefundStatus.COMPLETED and made.failure_message == ""
    assert keys == [f"refund:{made.pk}", f"refund:{made.pk}:retry:1"]
    assert paid.refunded_amount == Decimal("30.00") == processor_refunded(paid)
    with pytest.raises(InvalidTransitionError):
        refund_retry(refund_id=made.pk, actor=superuser)  # only a failed one


def test_a_retry_needs_the_cap_to_still_hold_its_amount(paid, run_after_commit, monkeypatch):
    monkeypatch.setattr(SandboxGateway, "refund", lambda self, **kw: (_ for _ in ()).throw(GatewayError("no")))
    with run_after_commit():
        made = refund(paid, "40.00")
    monkeypatch.undo()
    order_refund(order_id=paid.order_id, amount="30.00", reason="x", actor=None, destination="wallet")

    with pytest.raises(RefundExceedsPaymentError) as refused:
        refund_retry(refund_id=made.pk, actor=None)
    assert refused.value.extra == {"refundable": "30.00", "requested": "40.00"}
    made.refresh_from_db()
    assert made.status == RefundStatus.FAILED


def _answer_lost_once(monkeypatch) -> list[str]:
    """The processor refunds, but its first answer never arrives (a timeout); the keys it was called with."""
    real_refund = SandboxGateway.refund
    keys: list[str] = []

    def answer_lost_once(self, *, reference, amount, idempotency_key):
        keys.append(idempotency_key)
        result = real_refund(self, reference=reference, amount=amount, idempotency_key=idempotency_key)
        if len(keys) == 1:
            raise GatewayTimeoutError("no answer in time")
        return result

    monkeypatch.setattr(SandboxGateway, "refund", answer_lost_once)
    return keys


def test_a_timed_out_refund_is_retried_by_its_task_and_lands_once(paid, monkeypatch):
    keys = _answer_lost_once(monkeypatch)
    made = refund(paid, "60.00")

    # As a worker runs it: the timeout makes the task retry itself (eagerly here).
    refund_process_task.apply(args=[made.pk], throw=False)

    made.refresh_from_db()
    paid.refresh_from_db()
    assert keys == [f"refund:{made.pk}"] * 2  # repeated with the same key
    assert made.status == RefundStatus.COMPLETED
    assert processor_refund_calls(paid) == 1 and processor_refunded(paid) == Decimal("60.00")
    assert RefundTransaction.objects.filter(refund=made, status="success").count() == 1
    assert paid.refunded_amount == Decimal("60.00")
    assert PaymentLog.objects.filter(refund=made, level=LogLevel.WARNING).count() == 1


def test_a_refund_left_processing_by_a_timeout_is_resumed_and_lands_once(paid, run_after_commit, monkeypatch):
    keys = _answer_lost_once(monkeypatch)
    with run_after_commit():
        made = refund(paid, "25.00")
    made.refresh_from_db()
    assert made.status == RefundStatus.PROCESSING  # the task gave up (or its worker died)

    assert refunds_resume(now=timezone.now() + RESUME_AFTER + dt.timedelta(seconds=1)) == 1

    made.refresh_from_db()
    assert made.status == RefundStatus.COMPLETED
    assert keys == [f"refund:{made.pk}"] * 2
    assert processor_refund_calls(paid) == 1 and processor_refunded(paid) == Decimal("25.00")


def test_a_refund_whose_task_was_lost_is_resumed_once(paid):
    made = refund(paid, "20.00")  # committed, but its task never ran (the broker was down)
    now = timezone.now()

    assert refunds_resume(now=now) == 0  # not yet: its task may still be on its way
    assert refunds_resume(now=now + RESUME_AFTER + dt.timedelta(seconds=1)) == 1
    made.refresh_from_db()
    assert made.status == RefundStatus.COMPLETED
    assert refunds_resume(now=now + RESUME_AFTER * 3) == 0
    refund_process(refund_id=made.pk)  # a late duplicate of the task changes nothing
    assert processor_refund_calls(paid) == 1
    assert RefundTransaction.objects.filter(refund=made).count() == 1


# --- webhooks -----------------------------------------------------------------------------------


def _accepting(monkeypatch):
    """The processor accepts refunds and says how they went later, by webhook."""
    monkeypatch.setattr(
        SandboxGateway,
        "refund",
        lambda self, *, reference, amount, idempotency_key: GatewayResult(
            ResultStatus.PENDING, f"re_{idempotency_key.replace(':', '')}", reference, "pending", "Pending"
        ),
    )


def _event(event_type, made, **data):
    return WebhookMessage(
        event_id=f"evt_{event_type}_{made.pk}",
        event_type=event_type,
        reference=made.payment.gateway_reference,
        occurred_at=0.0,
        data={"reference": made.payment.gateway_reference, "refund": made.gateway_reference, **data},
    )


def test_refund_succeeded_completes_a_refund_the_gateway_accepted(paid, run_after_commit, monkeypatch):
    _accepting(monkeypatch)
    with run_after_commit():
        made = refund(paid, "60.00")
    made.refresh_from_db()
    assert (made.status, made.gateway_reference) == (RefundStatus.PROCESSING, f"re_refund{made.pk}")

    outcome = refund_webhook_apply(gateway_code="sandbox", message=_event("refund.succeeded", made))
    again = refund_webhook_apply(gateway_code="sandbox", message=_event("refund.succeeded", made))

    made.refresh_from_db()
    assert made.status == RefundStatus.COMPLETED
    assert (outcome, again) == (f"refund {made.pk} completed", f"refund {made.pk} already completed")
    assert list(RefundTransaction.objects.filter(refund=made).values_list("status", flat=True)) == [
        "pending",
        "success",
    ]
    paid.refresh_from_db()
    assert (paid.refunded_amount, paid.status) == (Decimal("60.00"), PaymentStatus.REFUNDED)


def test_refund_failed_gives_the_cap_back(paid, run_after_commit, monkeypatch):
    _accepting(monkeypatch)
    with run_after_commit():
        made = refund(paid, "45.00")
    made.refresh_from_db()

    refund_webhook_apply(gateway_code="sandbox", message=_event("refund.failed", made, message="Card closed"))

    made.refresh_from_db()
    paid.refresh_from_db()
    assert (made.status, made.failure_message) == (RefundStatus.FAILED, "Card closed")
    assert (paid.refunded_amount, paid.status) == (Decimal("0.00"), PaymentStatus.CAPTURED)


def test_a_webhook_for_a_refund_the_shop_does_not_know_changes_nothing(paid):
    made = refund(paid, "10.00")
    made.gateway_reference = None
    message = WebhookMessage("evt_1", "refund.succeeded", paid.gateway_reference, 0.0, {"refund": "re_unknown"})

    assert refund_webhook_apply(gateway_code="sandbox", message=message).startswith("no refund")
    made.refresh_from_db()
    assert made.status == RefundStatus.PENDING


# --- the request itself -------------------------------------------------------------------------


def test_the_same_idempotency_key_gives_the_same_refund(paid):
    first = refund_request(payment_id=paid.pk, amount="10.00", reason="r", actor=None, idempotency_key="k-1")
    again = refund_request(payment_id=paid.pk, amount="10.00", reason="r", actor=None, idempotency_key="k-1")

    assert (first.created, again.created) == (True, False)
    assert again.refund.pk == first.refund.pk
    with pytest.raises(IdempotencyKeyReuseError):
        refund_request(payment_id=paid.pk, amount="11.00", reason="r", actor=None, idempotency_key="k-1")
    assert Refund.objects.filter(payment=paid).count() == 1
    paid.refresh_from_db()
    assert paid.refunded_amount == Decimal("10.00")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"amount": "0"}, InvalidAmountError),
        ({"amount": "-1.00"}, InvalidAmountError),
        ({"amount": "abc"}, InvalidAmountError),
        ({"reason": "  "}, RefundReasonRequiredError),
        ({"destination": "card"}, InvalidAmountError),
        ({"payment_id": 0}, NotFoundError),
    ],
)
def test_a_bad_request_is_refused_and_changes_nothing(paid, kwargs, error):
    request = {"payment_id": paid.pk, "amount": "5.00", "reason": "r", "actor": None, **kwargs}
    with pytest.raises(error):
        refund_request(**request)
    assert not Refund.objects.exists()


def test_a_payment_of_no_order_is_not_refunded_here(customer):
    topup = Payment.objects.create(
        user=customer, purpose=PaymentPurpose.WALLET_TOPUP, amount=Decimal("5.00"), status=PaymentStatus.CAPTURED
    )
    with pytest.raises(RefundNotAllowedError):
        refund(topup, "5.00")


def test_a_payment_not_captured_has_nothing_to_refund(customer):
    pending = card_payment(order_for(customer, "5.00"))
    Payment.objects.filter(pk=pending.pk).update(status=PaymentStatus.AUTHORIZED)
    with pytest.raises(RefundExceedsPaymentError) as refused:
        refund(pending, "1.00")
    assert refused.value.extra["refundable"] == "0.00"
