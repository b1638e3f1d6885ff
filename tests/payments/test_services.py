from decimal import Decimal

import pytest
from django.test import override_settings

from common.exceptions import IdempotencyKeyReuseError
from payments.exceptions import InsufficientBalanceError, InvalidAmountError, RefundExceedsPaymentError
from payments.models import EntryType, PaymentStatus, PaymentTransaction, Refund, Wallet, WalletEntry
from payments.selectors import wallet_entries_of, wallet_of
from payments.services import (
    order_payments_refund,
    parse_charge_amount,
    payment_refund,
    wallet_charge,
    wallet_charge_once,
    wallet_debit,
    wallet_refund,
)

from .helpers import balance_of, ledger_sum, order_for, paid_from_wallet

pytestmark = pytest.mark.django_db


# --- parse_charge_amount ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("25", Decimal("25.00")), ("12.5", Decimal("12.50")), (" 0.01 ", Decimal("0.01")), (7, Decimal("7.00"))],
)
def test_parse_charge_amount_accepts_positive_amounts_with_two_decimals(raw, expected):
    assert parse_charge_amount(raw) == expected


def test_parse_charge_amount_accepts_a_decimal_at_the_maximum(settings):
    assert parse_charge_amount(settings.WALLET_MAX_CHARGE) == settings.WALLET_MAX_CHARGE


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("0", "The amount must be more than zero."),
        ("0.00", "The amount must be more than zero."),
        ("-5", "The amount must be more than zero."),
        ("1.005", "Use at most two decimal places."),
        ("abc", "Enter an amount such as 25.00."),
        ("", "Enter an amount such as 25.00."),
        ("1,000", "Enter an amount such as 25.00."),
        ("NaN", "Enter an amount such as 25.00."),
        ("Infinity", "Enter an amount such as 25.00."),
        (None, "Enter an amount such as 25.00."),
        (True, "Enter an amount such as 25.00."),
        ("1e40", "One top-up can add at most 10000.00."),
    ],
)
def test_parse_charge_amount_refuses_bad_amounts_with_a_sentence(raw, message):
    with pytest.raises(InvalidAmountError) as caught:
        parse_charge_amount(raw)
    assert str(caught.value.message) == message
    assert caught.value.code == "invalid_amount"


@override_settings(WALLET_MAX_CHARGE=Decimal("100.00"))
def test_parse_charge_amount_refuses_more_than_the_maximum():
    with pytest.raises(InvalidAmountError) as caught:
        parse_charge_amount("100.01")
    assert str(caught.value.message) == "One top-up can add at most 100.00."
    assert caught.value.extra == {"max": "100.00"}


def test_parse_charge_amount_never_takes_a_float():
    with pytest.raises(TypeError):
        parse_charge_amount(12.5)


# --- wallet_charge / debit / refund -----------------------------------------------------------


def test_charge_creates_the_wallet_and_writes_one_ledger_row(user):
    entry = wallet_charge(user=user, amount="12.50", reference="Card")

    assert (entry.entry_type, entry.amount, entry.balance_after, entry.reference) == (
        EntryType.CHARGE,
        Decimal("12.50"),
        Decimal("12.50"),
        "Card",
    )
    assert balance_of(user) == Decimal("12.50") == ledger_sum(user)
    assert Wallet.objects.get(user=user).currency == "USD"


def test_bad_charge_writes_nothing(user):
    wallet_charge(user=user, amount="10.00")
    with pytest.raises(InvalidAmountError):
        wallet_charge(user=user, amount="-1")

    assert WalletEntry.objects.count() == 1
    assert balance_of(user) == Decimal("10.00")


def test_debit_takes_money_and_records_the_order(user):
    wallet_charge(user=user, amount="30.00")
    order = order_for(user, "12.25")

    entry = wallet_debit(user=user, amount=Decimal("12.25"), order_id=order.pk, reference="order")

    assert (entry.entry_type, entry.amount, entry.balance_after, entry.order_id) == (
        EntryType.USE,
        Decimal("12.25"),
        Decimal("17.75"),
        order.pk,
    )
    assert entry.signed_amount == Decimal("-12.25")
    assert balance_of(user) == Decimal("17.75") == ledger_sum(user)


def test_debit_short_raises_and_writes_nothing(user):
    wallet_charge(user=user, amount="10.00")

    with pytest.raises(InsufficientBalanceError) as caught:
        wallet_debit(user=user, amount=Decimal("10.01"), order_id=None, reference="x")

    assert caught.value.code == "insufficient_balance"
    assert caught.value.http_status == 402
    assert caught.value.extra == {"balance": "10.00", "required": "10.01"}
    assert balance_of(user) == Decimal("10.00")
    assert WalletEntry.objects.filter(entry_type=EntryType.USE).count() == 0


def test_debit_of_the_whole_balance_leaves_zero(user):
    wallet_charge(user=user, amount="10.00")
    wallet_debit(user=user, amount=Decimal("10.00"), order_id=None, reference="x")
    assert balance_of(user) == Decimal("0.00") == ledger_sum(user)


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-1"), Decimal("0.004")])
def test_debit_and_refund_of_nothing_are_refused(user, amount):
    wallet_charge(user=user, amount="10.00")
    with pytest.raises(InvalidAmountError):
        wallet_debit(user=user, amount=amount, order_id=None, reference="x")
    with pytest.raises(InvalidAmountError):
        wallet_refund(user=user, amount=amount, order_id=None, reference="x")
    assert WalletEntry.objects.count() == 1


def test_refund_adds_back(user):
    wallet_charge(user=user, amount="10.00")
    entry = wallet_refund(user=user, amount=Decimal("2.50"), order_id=None, reference="goodwill")
    assert (entry.entry_type, entry.balance_after) == (EntryType.REFUND, Decimal("12.50"))
    assert balance_of(user) == ledger_sum(user)


# --- payments and refunds ---------------------------------------------------------------------


def _paid(user, amount="40.00"):
    wallet_charge(user=user, amount="100.00")
    order = order_for(user, amount)
    return paid_from_wallet(user, order.pk, amount)


def test_partial_then_full_refund(user, superuser):
    payment = _paid(user)

    payment_refund(payment_id=payment.pk, amount=Decimal("15.00"), reason="damaged", actor=superuser, reference="r1")
    payment.refresh_from_db()
    assert (payment.refunded_amount, payment.status) == (Decimal("15.00"), PaymentStatus.PARTIALLY_REFUNDED)

    refund = payment_refund(payment_id=payment.pk, amount=Decimal("25.00"), reason="rest", actor=None, reference="r2")
    payment.refresh_from_db()
    assert (payment.refunded_amount, payment.status) == (Decimal("40.00"), PaymentStatus.REFUNDED)
    assert refund.order_id == payment.order_id
    assert balance_of(user) == Decimal("100.00") == ledger_sum(user)
    assert PaymentTransaction.objects.filter(payment=payment, transaction_type="refund").count() == 2


def test_refund_cannot_exceed_what_is_left_and_writes_nothing(user):
    payment = _paid(user)
    payment_refund(payment_id=payment.pk, amount=Decimal("30.00"), reason="x", actor=None, reference="r")

    with pytest.raises(RefundExceedsPaymentError) as caught:
        payment_refund(payment_id=payment.pk, amount=Decimal("10.01"), reason="x", actor=None, reference="r")

    assert caught.value.extra == {"refundable": "10.00", "requested": "10.01"}
    assert Refund.objects.count() == 1
    assert balance_of(user) == Decimal("90.00") == ledger_sum(user)


def test_refund_of_nothing_is_refused(user):
    payment = _paid(user)
    with pytest.raises(InvalidAmountError):
        payment_refund(payment_id=payment.pk, amount=Decimal("0"), reason="x", actor=None, reference="r")
    assert Refund.objects.count() == 0


def test_order_payments_refund_gives_back_what_is_left_of_each_payment(user, superuser):
    partly = _paid(user, "40.00")
    payment_refund(payment_id=partly.pk, amount=Decimal("15.00"), reason="damaged", actor=None, reference="r1")
    whole = paid_from_wallet(user, partly.order_id, "10.00")
    other_order = _paid(user, "5.00")

    refunds = order_payments_refund(order_id=partly.order_id, reason="cancelled", actor=superuser)

    assert [(r.payment_id, r.amount) for r in refunds] == [(partly.pk, Decimal("25.00")), (whole.pk, Decimal("10.00"))]
    assert {r.processed_by_id for r in refunds} == {superuser.pk}
    partly.refresh_from_db()
    whole.refresh_from_db()
    other_order.refresh_from_db()
    assert (partly.status, whole.status, other_order.status) == (
        PaymentStatus.REFUNDED,
        PaymentStatus.REFUNDED,
        PaymentStatus.CAPTURED,
    )
    assert balance_of(user) == Decimal("195.00") == ledger_sum(user)
    refunded = WalletEntry.objects.filter(order_id=partly.order_id, entry_type=EntryType.REFUND)
    assert sorted(refunded.values_list("reference", flat=True)) == [f"order:{partly.order_id}"] * 2 + ["r1"]


def test_order_payments_refund_twice_refunds_nothing_more(user):
    payment = _paid(user)
    order_payments_refund(order_id=payment.order_id, reason="cancelled", actor=None)

    assert order_payments_refund(order_id=payment.order_id, reason="cancelled", actor=None) == []
    assert Refund.objects.count() == 1
    assert balance_of(user) == Decimal("100.00") == ledger_sum(user)


# --- selectors --------------------------------------------------------------------------------


def test_wallet_of_a_new_customer_is_empty_and_writes_nothing(user):
    wallet = wallet_of(user=user)
    assert (wallet.pk, wallet.balance, wallet.currency) == (None, Decimal("0.00"), "USD")
    assert not Wallet.objects.exists()


def test_entries_are_read_through_the_owner_newest_first(user, other_user):
    wallet_charge(user=user, amount="1.00")
    wallet_charge(user=user, amount="2.00")
    wallet_charge(user=other_user, amount="3.00")
    assert [e.amount for e in wallet_entries_of(user=user)] == [Decimal("2.00"), Decimal("1.00")]


# --- idempotent top-up ------------------------------------------------------------------------


def test_charge_once_replays_the_first_entry_for_the_same_key(user):
    first = wallet_charge_once(user=user, amount="20.00", idempotency_key="k-1")
    again = wallet_charge_once(user=user, amount=Decimal("20"), idempotency_key="k-1")

    assert first.created and not again.created
    assert again.entry.pk == first.entry.pk
    assert balance_of(user) == Decimal("20.00") == ledger_sum(user)
    assert WalletEntry.objects.count() == 1


def test_charge_once_with_the_same_key_and_another_amount_is_refused(user):
    wallet_charge_once(user=user, amount="20.00", idempotency_key="k-1")
    with pytest.raises(IdempotencyKeyReuseError) as caught:
        wallet_charge_once(user=user, amount="21.00", idempotency_key="k-1")
    assert (caught.value.code, caught.value.http_status) == ("idempotency_key_reused", 422)
    assert balance_of(user) == Decimal("20.00")


def test_charge_once_cleans_the_key_as_checkout_does(user):
    first = wallet_charge_once(user=user, amount="20.00", idempotency_key=" k-1 ")
    again = wallet_charge_once(user=user, amount="20.00", idempotency_key="k-1")

    assert (first.created, again.created, again.entry.pk) == (True, False, first.entry.pk)
    assert WalletEntry.objects.get().idempotency_key == "k-1"


def test_charge_once_with_a_blank_key_is_a_plain_top_up(user):
    assert wallet_charge_once(user=user, amount="5.00", idempotency_key="  ").created
    assert wallet_charge_once(user=user, amount="5.00", idempotency_key="").created

    assert balance_of(user) == Decimal("10.00") == ledger_sum(user)
    assert list(WalletEntry.objects.values_list("idempotency_key", flat=True)) == [None, None]


def test_charge_once_keys_are_per_wallet(user, other_user):
    wallet_charge_once(user=user, amount="1.00", idempotency_key="same")
    assert wallet_charge_once(user=other_user, amount="2.00", idempotency_key="same").created
    assert balance_of(other_user) == Decimal("2.00")


def test_charge_once_with_a_bad_amount_writes_nothing(user):
    with pytest.raises(InvalidAmountError):
        wallet_charge_once(user=user, amount="0", idempotency_key="k")
    assert not WalletEntry.objects.exists()
