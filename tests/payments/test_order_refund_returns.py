"""The refund cap (`payments.services.order_refund`) as returns use it: a refund to the original
payment and store credit share one cap, and nothing is left to give back after a cancellation.
(The cap's own tests: `test_order_refund.py`.)"""

from decimal import Decimal

import pytest

from orders.services import order_cancel
from payments.exceptions import OrderRefundCapError, RefundExceedsPaymentError
from payments.models import Payment, PaymentStatus, Refund, RefundDestination, Wallet
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
    order_refund(
        order_id=order.pk, amount=Decimal("25.00"), reason="r", actor=superuser, destination=RefundDestination.ORIGINAL
    )
    order_refund(
        order_id=order.pk, amount=Decimal("15.00"), reason="c", actor=superuser, destination=RefundDestination.WALLET
    )

    with pytest.raises(RefundExceedsPaymentError) as error:
        order_refund(
            order_id=order.pk, amount=Decimal("0.01"), reason="x", actor=superuser, destination=RefundDestination.WALLET
        )

    assert isinstance(error.value, OrderRefundCapError)  # callers catching the older name still catch it
    assert error.value.code == "refund_exceeds_paid"
    assert error.value.extra == {"refundable": "0.00", "requested": "0.01"}
    payment = Payment.objects.get(order=order)
    assert (payment.refunded_amount, payment.status) == (Decimal("40.00"), PaymentStatus.REFUNDED)
    assert Refund.objects.filter(order=order).count() == 2
    assert Wallet.objects.get(user=customer).balance == Decimal("500.00") == ledger_sum(customer)


def test_nothing_is_left_after_a_cancellation(paid, superuser):
    customer, order = paid
    order_cancel(order_id=order.pk, user=customer)
    with pytest.raises(RefundExceedsPaymentError) as error:
        order_refund(
            order_id=order.pk,
            amount=Decimal("1.00"),
            reason="x",
            actor=superuser,
            destination=RefundDestination.ORIGINAL,
        )
    assert error.value.code == "refund_exceeds_paid"
