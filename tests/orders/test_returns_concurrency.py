"""Returns under real concurrency (threads with their own PostgreSQL connections, released
together): parallel requests never return more than was bought, a step run twice at once restocks
once, parallel refunds of one order never give back more than was paid, and the last two returns
refunded at once make the order refunded once."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from common.exceptions import InvalidTransitionError
from inventory.models import ChangeType, InventoryHistory, InventoryItem
from orders.exceptions import ReturnQuantityError
from orders.models import OrderHistory, OrderReturn, OrderReturnItem, OrderState, ProductSaleStat, ReturnStatus
from orders.services import return_approve, return_inspect, return_receive, return_refund
from payments.exceptions import RefundExceedsPaymentError
from payments.models import Payment, Refund, Wallet
from payments.services import order_refund
from tests.factories.accounts import AdministratorFactory
from tests.factories.commerce import VariantFactory

from .conftest import funded_user, ledger_sum
from .returns_helpers import delivered_order, request_return
from .test_concurrency import assert_no_unexpected_errors, race

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def staff():
    return AdministratorFactory(user__is_superuser=True).user


@pytest.fixture
def shop(staff):
    customer = funded_user()
    variant = VariantFactory(price=Decimal("20.00"), stock=10)
    return customer, variant


def test_parallel_requests_never_return_more_than_was_bought(shop, staff):
    customer, variant = shop
    order = delivered_order(customer, variant, staff, quantity=3)

    outcomes = race([lambda: request_return(order, customer, quantity=1) for _ in range(8)], workers=8)

    assert_no_unexpected_errors(outcomes, ReturnQuantityError)
    assert sum(isinstance(o, OrderReturn) for o in outcomes) == 3
    assert OrderReturnItem.objects.aggregate(q=Sum("quantity"))["q"] == 3


def test_two_requests_for_the_whole_line_at_once_make_one_return(shop, staff):
    customer, variant = shop
    order = delivered_order(customer, variant, staff, quantity=2)

    outcomes = race([lambda: request_return(order, customer, quantity=2) for _ in range(2)], workers=2)

    assert_no_unexpected_errors(outcomes, ReturnQuantityError)
    assert OrderReturn.objects.count() == 1


def test_inspecting_at_once_twice_restocks_once(shop, staff):
    customer, variant = shop
    order = delivered_order(customer, variant, staff, quantity=2)
    rma = request_return(order, customer, quantity=2)
    return_approve(return_id=rma.pk, actor=staff)
    return_receive(return_id=rma.pk, actor=staff)
    before = InventoryItem.objects.get(variant=variant).quantity

    outcomes = race(
        [lambda: return_inspect(return_id=rma.pk, actor=staff, condition_rating=5) for _ in range(4)], workers=4
    )

    assert_no_unexpected_errors(outcomes, InvalidTransitionError)
    assert sum(isinstance(o, OrderReturn) for o in outcomes) == 1
    assert InventoryItem.objects.get(variant=variant).quantity == before + 2
    assert InventoryHistory.objects.filter(change_type=ChangeType.RETURN).count() == 1


def test_parallel_refunds_never_give_back_more_than_was_paid(shop, staff):
    customer, variant = shop
    order = delivered_order(customer, variant, staff, quantity=2)  # 40.00 paid
    rma = request_return(order, customer, quantity=2, reason="damaged")  # 40.00 due
    return_approve(return_id=rma.pk, actor=staff)
    return_receive(return_id=rma.pk, actor=staff)
    return_inspect(return_id=rma.pk, actor=staff, condition_rating=4)

    def goodwill():
        return order_refund(
            order_id=order.pk, amount=Decimal("15.00"), reason="goodwill", actor=staff, destination="wallet"
        )

    outcomes = race([lambda: return_refund(return_id=rma.pk, actor=staff), goodwill, goodwill, goodwill], workers=4)

    assert_no_unexpected_errors(outcomes, RefundExceedsPaymentError, InvalidTransitionError)
    refunded = Refund.objects.filter(order=order).aggregate(s=Sum("amount"))["s"] or Decimal("0")
    assert refunded <= Decimal("40.00")
    assert Payment.objects.get(order=order).refunded_amount == refunded
    assert Wallet.objects.get(user=customer).balance == ledger_sum(customer)
    rma.refresh_from_db()
    assert (rma.status == ReturnStatus.REFUNDED) == (rma.refund_amount == Decimal("40.00"))


def test_the_last_two_returns_refunded_at_once_refund_the_order_once(shop, staff):
    customer, variant = shop
    order = delivered_order(customer, variant, staff, quantity=2)
    returns = [request_return(order, customer, quantity=1, reason="damaged") for _ in range(2)]
    for rma in returns:
        return_approve(return_id=rma.pk, actor=staff)
        return_receive(return_id=rma.pk, actor=staff)
        return_inspect(return_id=rma.pk, actor=staff, condition_rating=4)

    outcomes = race([lambda rma=rma: return_refund(return_id=rma.pk, actor=staff) for rma in returns], workers=2)

    assert_no_unexpected_errors(outcomes)
    order.refresh_from_db()
    assert order.status_id == OrderState.REFUNDED
    assert OrderHistory.objects.filter(order=order, field_name="status", new_value=OrderState.REFUNDED).count() == 1
    assert ProductSaleStat.objects.filter(order_item__order=order).aggregate(q=Sum("quantity"))["q"] == 0
