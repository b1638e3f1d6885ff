"""Paid wallet top-ups: a saved card is charged through the sandbox gateway, then the wallet is
credited once, by one ledger entry linked to the payment."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from common.exceptions import IdempotencyKeyReuseError
from payments.exceptions import CardExpiredError, InvalidAmountError, PaymentMethodNotFoundError
from payments.gateways import GatewayResult, ResultStatus
from payments.models import (
    EntryType,
    Payment,
    PaymentLog,
    PaymentMethod,
    PaymentPurpose,
    PaymentStatus,
    WalletEntry,
)
from payments.selectors import wallet_of
from payments.services.card import card_payment_run, payment_record, payments_retry_due
from payments.services.fraud import fraud_review_clear
from payments.services.methods import payment_method_remove
from payments.services.topups import wallet_topup_credit, wallet_topup_start
from payments.signals import payment_captured

from .cards import CAPTURE_TIMEOUT, DECLINED, NO_FUNDS, THREE_DS, card_payment, sandbox
from .fraud_helpers import rules_set
from .helpers import balance_of, ledger_sum
from .saved_cards import saved_card

pytestmark = pytest.mark.django_db

S = PaymentStatus


def _entries(user) -> list[WalletEntry]:
    return list(WalletEntry.objects.filter(wallet__user=user))


def test_a_top_up_charges_the_card_and_credits_the_wallet_once(user):
    card = saved_card(user)

    topup = wallet_topup_start(user=user, amount="25.00", payment_method_id=card.pk, ip_address="203.0.113.5")

    payment = topup.payment
    assert (payment.purpose, payment.status, payment.amount, payment.captured_amount) == (
        PaymentPurpose.WALLET_TOPUP,
        S.CAPTURED,
        Decimal("25.00"),
        Decimal("25.00"),
    )
    assert (payment.payment_method, payment.gateway.code, payment.client_ip) == (card, "sandbox", "203.0.113.5")
    assert payment.order is None
    entry = topup.entry
    assert entry is not None and not topup.replayed
    assert (entry.entry_type, entry.amount, entry.payment, entry.balance_after) == (
        EntryType.CHARGE,
        Decimal("25.00"),
        payment,
        Decimal("25.00"),
    )
    assert entry.reference == "Card top-up, Visa •••• 4242"
    assert _entries(user) == [entry]
    assert balance_of(user) == Decimal("25.00") == ledger_sum(user)
    assert PaymentLog.objects.filter(payment=payment, message="Wallet credited 25.00").count() == 1
    # One authorization and one capture at the processor, each recorded once.
    assert sorted(payment.transactions.values_list("transaction_type", flat=True)) == ["authorization", "capture"]


def test_the_processors_webhooks_after_the_answer_credit_nothing_more(user, django_capture_on_commit_callbacks):
    card = saved_card(user)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:  # the webhooks arrive
        topup = wallet_topup_start(user=user, amount="10.00", payment_method_id=card.pk)
    assert callbacks  # the sandbox did send its events
    assert topup.payment.status == S.CAPTURED
    assert len(_entries(user)) == 1 and balance_of(user) == Decimal("10.00")


def test_a_second_capture_notice_credits_nothing(user):
    topup = wallet_topup_start(user=user, amount="10.00", payment_method_id=saved_card(user).pk)
    payment = Payment.objects.get(pk=topup.payment.pk)

    assert wallet_topup_credit(payment=payment) is None
    payment_captured.send(sender=Payment, payment=payment)

    assert len(_entries(user)) == 1 and balance_of(user) == Decimal("10.00") == ledger_sum(user)


def test_the_same_key_twice_charges_and_credits_once(user):
    card = saved_card(user)
    first = wallet_topup_start(user=user, amount="30.00", payment_method_id=card.pk, idempotency_key="top-1")
    again = wallet_topup_start(user=user, amount="30.00", payment_method_id=card.pk, idempotency_key="top-1")

    assert again.replayed and again.payment == first.payment and again.entry == first.entry
    assert Payment.objects.count() == 1
    assert balance_of(user) == Decimal("30.00") == ledger_sum(user)
    with pytest.raises(IdempotencyKeyReuseError):
        wallet_topup_start(user=user, amount="31.00", payment_method_id=card.pk, idempotency_key="top-1")
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(("number", "code"), [(DECLINED, "card_declined"), (NO_FUNDS, "insufficient_funds")])
def test_a_declined_top_up_credits_nothing(user, number, code):
    topup = wallet_topup_start(user=user, amount="20.00", payment_method_id=saved_card(user, number).pk)

    assert topup.payment.status == S.FAILED and topup.entry is None
    assert topup.payment.failure_code == code and topup.payment.failure_message
    assert not WalletEntry.objects.exists()
    assert wallet_of(user=user).balance == Decimal("0.00")


@pytest.mark.parametrize("approve", [True, False])
def test_a_top_up_waiting_for_the_bank_credits_once_it_is_confirmed(user, django_capture_on_commit_callbacks, approve):
    topup = wallet_topup_start(user=user, amount="40.00", payment_method_id=saved_card(user, THREE_DS).pk)
    payment = topup.payment
    assert payment.status == S.ACTION_REQUIRED and topup.entry is None
    assert payment.action_url == f"/sandbox-gateway/confirm/{payment.gateway_reference}/"
    assert not WalletEntry.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):  # the webhook, then the capture task
        back = sandbox().confirm(reference=payment.gateway_reference, approve=approve)

    assert back == f"/wallet/?topup={payment.pk}"
    payment.refresh_from_db()
    if approve:
        assert payment.status == S.CAPTURED
        assert [e.payment_id for e in _entries(user)] == [payment.pk]
        assert balance_of(user) == Decimal("40.00") == ledger_sum(user)
    else:
        assert payment.status == S.FAILED
        assert not WalletEntry.objects.exists()


def test_a_timed_out_capture_is_retried_and_credits_once(user):
    topup = wallet_topup_start(user=user, amount="15.00", payment_method_id=saved_card(user, CAPTURE_TIMEOUT).pk)
    payment = topup.payment
    assert payment.status == S.AUTHORIZED and payment.retry_after is not None and topup.entry is None
    assert not WalletEntry.objects.exists()

    assert payments_retry_due(now=timezone.now() + dt.timedelta(hours=1)) == 1
    assert payments_retry_due(now=timezone.now() + dt.timedelta(hours=2)) == 0

    payment.refresh_from_db()
    assert payment.status == S.CAPTURED
    assert len(_entries(user)) == 1 and balance_of(user) == Decimal("15.00")


def test_another_customers_card_or_a_removed_one_cannot_pay(user, other_user):
    theirs = saved_card(other_user)
    mine = saved_card(user)
    with pytest.raises(PaymentMethodNotFoundError):
        wallet_topup_start(user=user, amount="5.00", payment_method_id=theirs.pk)
    payment_method_remove(user=user, method_id=mine.pk)
    with pytest.raises(PaymentMethodNotFoundError):
        wallet_topup_start(user=user, amount="5.00", payment_method_id=mine.pk)
    assert not Payment.objects.exists() and not WalletEntry.objects.exists()


def test_an_expired_card_cannot_pay(user):
    card = saved_card(user)
    PaymentMethod.objects.filter(pk=card.pk).update(exp_year=2001)
    with pytest.raises(CardExpiredError):
        wallet_topup_start(user=user, amount="5.00", payment_method_id=card.pk)
    assert not Payment.objects.exists()


@pytest.mark.parametrize("amount", ["0", "-1", "1.001", "10000.01", "abc"])
def test_a_bad_amount_charges_nothing(user, amount):
    with pytest.raises(InvalidAmountError):
        wallet_topup_start(user=user, amount=amount, payment_method_id=saved_card(user).pk)
    assert not Payment.objects.exists()


def test_an_order_payment_captured_does_not_credit_the_wallet(user):
    payment = card_payment(user)
    payment = card_payment_run(payment_id=payment.pk, return_url="/")
    assert payment.status == S.CAPTURED
    assert wallet_topup_credit(payment=payment) is None
    assert not WalletEntry.objects.exists()


def test_a_capture_recorded_twice_by_a_replayed_answer_credits_once(user):
    topup = wallet_topup_start(user=user, amount="12.00", payment_method_id=saved_card(user).pk)
    capture = topup.payment.transactions.get(transaction_type="capture")
    again = GatewayResult(ResultStatus.CAPTURED, capture.transaction_id, topup.payment.gateway_reference or "")
    payment_record(payment_id=topup.payment.pk, result=again, transaction_type="capture")
    fresh = GatewayResult(ResultStatus.CAPTURED, "sbx_other_id", topup.payment.gateway_reference or "")
    payment_record(payment_id=topup.payment.pk, result=fresh, transaction_type="capture")

    assert len(_entries(user)) == 1 and balance_of(user) == Decimal("12.00")


# --- the fraud check screens top-ups too -------------------------------------------------------------


def test_a_top_up_held_for_review_credits_once_staff_clear_it(user, superuser, django_capture_on_commit_callbacks):
    rules_set(review_threshold=Decimal("0.000"), block_threshold=Decimal("1.000"))  # every payment is reviewed
    topup = wallet_topup_start(user=user, amount="50.00", payment_method_id=saved_card(user).pk)
    assert topup.payment.status == S.REVIEW and topup.entry is None
    assert not WalletEntry.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):  # the authorization task, its webhooks
        fraud_review_clear(check_id=topup.payment.fraud_check.pk, reviewer=superuser, note="known customer")

    assert Payment.objects.get().status == S.CAPTURED
    assert len(_entries(user)) == 1 and balance_of(user) == Decimal("50.00") == ledger_sum(user)


def test_a_blocked_top_up_fails_with_the_neutral_message_and_credits_nothing(user):
    rules_set(review_threshold=Decimal("0.000"), block_threshold=Decimal("0.000"))  # every payment is blocked
    topup = wallet_topup_start(user=user, amount="50.00", payment_method_id=saved_card(user).pk)
    assert topup.payment.status == S.FAILED and topup.entry is None
    assert topup.payment.failure_message == "We could not process this payment."
    assert not WalletEntry.objects.exists()
