"""`payments.services.order_refund`: the one cap on money given back for an order, whatever the
destination (the original payment or store credit) and whatever gave money back before."""

from decimal import Decimal

import pytest

from orders.services import order_cancel
from payments.exceptions import InvalidAmountError, RefundExceedsPaymentError
from payments.models import Payment, PaymentStatus, Refund, Wallet
from payments.services import order_refund
from tests.orders.conftest import funded_user, ledger_sum, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(variant):
    customer = funded_user()
    return customer, place(customer, variant, 2)  # 40.00


@pytest.fixture
def variant():
    from tests.factories.commerce import VariantFactory

    return VariantFactory(price=Decimal("20.00"), stock=10)


def test_store_credit_and_refunds_share_one_cap(paid, superuser):
    customer, order = paid
    order_refund(order_id=order.pk, amount=Decimal("25.00"), reason="r", actor=superuser, destination="original")
    order_refund(order_id=order.pk, amount=Decimal("15.00"), reason="c", actor=superuser, destination="wallet")

    with pytest.raises(RefundExceedsPaymentError) as error:
        order_refund(order_id=order.pk, amount=Decimal("0.01"), reason="x", actor=superuser, destination="wallet")

    assert error.value.extra == {"refundable": "0.00", "requested": "0.01"}
    payment = Payment.objects.get(order=order)
    assert (payment.refunded_amount, payment.status) == (Decimal("40.00"), PaymentStatus.REFUNDED)
    assert Refund.objects.filter(order=order).count() == 2
    assert Wallet.objects.get(user=customer).balance == Decimal("500.00") == ledger_sum(customer)


def test_nothing_is_left_after_a_cancellation(paid, superuser):
    customer, order = paid
    order_cancel(order_id=order.pk, user=customer)
    with pytest.raises(RefundExceedsPaymentError):
        order_refund(order_id=order.pk, amount=Decimal("1.00"), reason="x", actor=superuser, destination="original")


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-5")])
def test_zero_or_less_is_refused(paid, superuser, amount):
    _customer, order = paid
    with pytest.raises(InvalidAmountError):
        order_refund(order_id=order.pk, amount=amount, reason="x", actor=superuser, destination="original")
    assert not Refund.objects.exists()
