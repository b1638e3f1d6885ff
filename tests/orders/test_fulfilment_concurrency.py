"""Shipping under real concurrency (threads, each with its own PostgreSQL connection): a line
ships once, a tracking number is taken once per carrier, and two sellers shipping one order at
the same moment move it along exactly once."""

import pytest

from orders.exceptions import AlreadyShippedError, TrackingNumberTakenError
from orders.models import OrderHistory, OrderState, OrderTracking, OrderTrackingItem
from orders.services import shipment_create
from tests.factories.fulfilment import ShippingCarrierFactory, two_seller_order

from .test_concurrency import assert_no_unexpected_errors, errors_of, race

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def _ship(world, seller, carrier, number):
    return lambda: shipment_create(
        seller=seller, order_id=world.order.pk, carrier_id=carrier.pk, tracking_number=number, actor=seller.user
    )


def test_the_same_lines_ship_once():
    world = two_seller_order()
    carrier = ShippingCarrierFactory()

    outcomes = race([_ship(world, world.seller_b, carrier, f"B-{n}") for n in range(8)])

    assert_no_unexpected_errors(outcomes, AlreadyShippedError)
    assert len(errors_of(outcomes)) == 7
    assert OrderTracking.objects.count() == 1
    assert OrderTrackingItem.objects.count() == len(world.b_lines)


def test_a_tracking_number_is_taken_once_across_orders():
    worlds = [two_seller_order() for _ in range(4)]
    carrier = ShippingCarrierFactory()

    outcomes = race([_ship(world, world.seller_a, carrier, "SAME") for world in worlds])

    assert_no_unexpected_errors(outcomes, TrackingNumberTakenError)
    assert len(errors_of(outcomes)) == 3
    assert OrderTracking.objects.filter(tracking_number="SAME").count() == 1


def test_two_sellers_shipping_at_once_move_the_order_along_once():
    world = two_seller_order()
    carrier = ShippingCarrierFactory()

    outcomes = race([_ship(world, world.seller_a, carrier, "A-1"), _ship(world, world.seller_b, carrier, "B-1")])

    assert errors_of(outcomes) == []
    world.order.refresh_from_db()
    assert world.order.status_id == OrderState.SHIPPED
    states = list(
        OrderHistory.objects.filter(order=world.order, field_name="status").values_list("new_value", flat=True)
    )
    assert states == ["pending", "paid", "processing", "shipped"]
