"""The refund cap (`payments.services.order_refund`): what one order gives back, by any door and to
any destination, never exceeds what its payments took."""

from decimal import Decimal

import pytest

from orders.services import order_place
from payments.exceptions import InvalidAmountError, OrderRefundCapError
from payments.models import Payment, PaymentStatus, Refund, RefundDestination, Wallet
from payments.services import order_refund, order_refundable, wallet_charge
from tests.factories.accounts import CustomerFactory
from tests.factories.commerce import VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_order():
    user = CustomerFactory().user
    wallet_charge(user=user, amount="100.00")
    variant = VariantFactory(price=Decimal("30.00"), stock=5)
    return order_place(user=user, lines=[{"variant_id": variant.pk, "quantity": 2}]).order  # 60.00


def test_partial_refunds_and_store_credit_share_one_cap(paid_order):
    user = paid_order.customer
    order_refund(order_id=paid_order.pk, amount=Decimal("20.00"), reason="return", actor=None, reference="return:1")
    order_refund(
        order_id=paid_order.pk,
        amount="15.00",
        reason="goodwill",
        actor=None,
        destination=RefundDestination.WALLET,
        reference="issue:1",
    )

    assert order_refundable(order_id=paid_order.pk) == Decimal("25.00")
    with pytest.raises(OrderRefundCapError) as refused:
        order_refund(order_id=paid_order.pk, amount="25.01", reason="too much", actor=None)
    assert refused.value.code == "refund_exceeds_paid" and refused.value.http_status == 409
    assert refused.value.extra == {"refundable": "25.00", "requested": "25.01"}

    rest = order_refund(order_id=paid_order.pk, amount=None, reason="cancel", actor=None)
    assert [r.amount for r in rest] == [Decimal("25.00")]
    payment = Payment.objects.get(order=paid_order)
    assert (payment.refunded_amount, payment.status) == (Decimal("60.00"), PaymentStatus.REFUNDED)
    assert sorted(Refund.objects.filter(order=paid_order).values_list("destination", flat=True)) == [
        "original",
        "original",
        "wallet",
    ]
    assert Wallet.objects.get(user=user).balance == Decimal("100.00")
    assert order_refund(order_id=paid_order.pk, amount=None, reason="again", actor=None) == []
    with pytest.raises(OrderRefundCapError):
        order_refund(order_id=paid_order.pk, amount="0.01", reason="again", actor=None)


@pytest.mark.parametrize("amount", ["0", "-5.00"])
def test_zero_or_less_is_refused(paid_order, amount):
    with pytest.raises(InvalidAmountError):
        order_refund(order_id=paid_order.pk, amount=Decimal(amount), reason="x", actor=None)
    assert not Refund.objects.exists()


def test_an_unknown_destination_is_refused(paid_order):
    with pytest.raises(InvalidAmountError):
        order_refund(order_id=paid_order.pk, amount="1.00", reason="x", actor=None, destination="card")
    assert not Refund.objects.exists()


def test_an_order_with_two_payments_is_refunded_oldest_first(paid_order):
    first = Payment.objects.get(order=paid_order)
    second = Payment.objects.create(
        order=paid_order, user=paid_order.customer, amount=Decimal("10.00"), status=PaymentStatus.CAPTURED
    )

    refunds = order_refund(order_id=paid_order.pk, amount="65.00", reason="x", actor=None)

    assert [(r.payment_id, r.amount) for r in refunds] == [(first.pk, Decimal("60.00")), (second.pk, Decimal("5.00"))]
    assert order_refundable(order_id=paid_order.pk) == Decimal("5.00")


def test_all_that_is_left_less_a_kept_fee(paid_order):
    [refund] = order_refund(order_id=paid_order.pk, amount=None, keep=Decimal("5.00"), reason="cancel", actor=None)
    assert refund.amount == Decimal("55.00")
    assert order_refund(order_id=paid_order.pk, amount=None, keep=Decimal("5.00"), reason="again", actor=None) == []
    with pytest.raises(OrderRefundCapError):
        order_refund(order_id=paid_order.pk, amount=None, keep=Decimal("5.01"), reason="again", actor=None)
