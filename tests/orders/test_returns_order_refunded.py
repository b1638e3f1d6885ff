"""An order whose every unit came back in refunded returns becomes refunded: through the transition
table (only a delivered order), with its history row and snapshot, and its sale taken back once,
as a cancellation takes it back. A return of part of the order leaves its status alone."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from orders.models import (
    OrderHistory,
    OrderSnapshot,
    OrderState,
    ProductDailySales,
    ProductSaleStat,
    ReturnStatus,
)
from orders.services import (
    ReturnLine,
    return_approve,
    return_inspect,
    return_receive,
    return_refund,
    return_request,
    sales_rollup,
    shipment_delivery_record,
)
from payments.services import order_refundable
from tests.factories.fulfilment import two_seller_order

from .returns_helpers import delivered_order, request_return
from .test_returns_delivery import ship

pytestmark = pytest.mark.django_db


def take_back(rma, staff, **approve):
    """Approve, receive, inspect and refund a return, as staff do."""
    return_approve(return_id=rma.pk, actor=staff, **approve)
    return_receive(return_id=rma.pk, actor=staff)
    return_inspect(return_id=rma.pk, actor=staff, condition_rating=5)
    return return_refund(return_id=rma.pk, actor=staff, ip_address="10.0.0.9", user_agent="console")


def status_changes(order) -> list[tuple[str, str]]:
    return list(
        OrderHistory.objects.filter(order=order, field_name="status")
        .order_by("id")
        .values_list("previous_value", "new_value")
    )


def units_sold(order) -> int:
    return ProductSaleStat.objects.filter(order_item__order=order).aggregate(q=Sum("quantity"))["q"]


@pytest.fixture
def order(customer, variant, superuser):
    return delivered_order(customer, variant, superuser, quantity=2)


def test_returning_the_whole_order_makes_it_refunded(order, customer, superuser):
    take_back(request_return(order, customer, quantity=2, reason="damaged"), superuser)

    order.refresh_from_db()
    assert order.status_id == OrderState.REFUNDED
    assert order_refundable(order_id=order.pk) == Decimal("0.00")
    assert status_changes(order)[-1] == (OrderState.DELIVERED, OrderState.REFUNDED)
    history = OrderHistory.objects.filter(order=order, field_name="status").latest("id")
    assert (history.actor, history.actor_role, history.ip_address, history.user_agent) == (
        superuser,
        "staff",
        "10.0.0.9",
        "console",
    )
    assert "every item returned and refunded" in history.reason
    assert OrderSnapshot.objects.filter(order=order).latest("id").status == OrderState.REFUNDED
    assert units_sold(order) == 0  # the sale is taken back, as a cancellation's


def test_a_partial_return_leaves_the_order_delivered_and_sold(order, customer, superuser):
    changes = status_changes(order)

    rma = take_back(request_return(order, customer, quantity=1, reason="damaged"), superuser)

    order.refresh_from_db()
    assert rma.status == ReturnStatus.REFUNDED
    assert order.status_id == OrderState.DELIVERED and status_changes(order) == changes
    assert order_refundable(order_id=order.pk) == Decimal("20.00")
    assert units_sold(order) == 2


def test_the_return_that_brings_the_last_unit_back_refunds_the_order(order, customer, superuser):
    first = request_return(order, customer, quantity=1, reason="damaged")
    last = request_return(order, customer, quantity=1, reason="damaged")
    take_back(last, superuser)
    order.refresh_from_db()
    assert order.status_id == OrderState.DELIVERED  # the first is not refunded yet

    take_back(first, superuser)

    order.refresh_from_db()
    assert order.status_id == OrderState.REFUNDED
    assert [change for change in status_changes(order) if change[1] == OrderState.REFUNDED] == [
        (OrderState.DELIVERED, OrderState.REFUNDED)
    ]
    assert units_sold(order) == 0  # taken back once, not once per return


def test_a_rejected_return_does_not_count_as_back(order, customer, superuser):
    from orders.services import return_reject

    rejected = request_return(order, customer, quantity=1, reason="damaged")
    return_reject(return_id=rejected.pk, actor=superuser, reason="Used")
    take_back(request_return(order, customer, quantity=1, reason="damaged"), superuser)

    order.refresh_from_db()
    assert order.status_id == OrderState.DELIVERED


def test_fees_the_shop_keeps_do_not_hold_the_order_back(order, customer, superuser):
    rma = request_return(order, customer, quantity=2)  # "no longer needed": the customer pays the shipping
    take_back(rma, superuser, return_shipping_cost=Decimal("4.50"), restocking_fee=Decimal("2.00"))

    order.refresh_from_db()
    assert order.status_id == OrderState.REFUNDED
    assert order_refundable(order_id=order.pk) == Decimal("6.50")  # kept on the return's terms


def test_a_rolled_up_day_loses_the_refunded_order_as_a_rerun_would(order, customer, superuser):
    day = order.paid_at.date()
    sales_rollup(day=day)
    assert ProductDailySales.objects.filter(date=day).values_list("quantity", flat=True).get() == 2

    take_back(request_return(order, customer, quantity=2, reason="damaged"), superuser)

    taken_back = list(ProductDailySales.objects.filter(date=day).values_list("product_id", "quantity", "revenue"))
    sales_rollup(day=day)
    assert (
        taken_back
        == []
        == list(ProductDailySales.objects.filter(date=day).values_list("product_id", "quantity", "revenue"))
    )


def test_a_shipped_order_returned_as_far_as_it_arrived_stays_shipped(superuser):
    world = two_seller_order()
    parcel_a = ship(world, world.seller_a, "A-1")
    ship(world, world.seller_b, "B-1")  # still on its way
    shipment_delivery_record(shipment_id=parcel_a.pk, actor=superuser)
    line_a = world.a_lines[0]
    rma = return_request(
        order_id=world.order.pk, user=world.customer, lines=[ReturnLine(line_a.pk, line_a.quantity)], reason="damaged"
    )

    take_back(rma, superuser)

    world.order.refresh_from_db()
    assert world.order.status_id == OrderState.SHIPPED
    assert units_sold(world.order) == sum(line.quantity for line in world.a_lines + world.b_lines)
