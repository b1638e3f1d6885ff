"""Returns (RMA) and shipments: the return window counts from the delivery of the parcel that
carried the line (`orders.selectors.order_item_delivered_at`), not from the whole order's; and
the order page's timeline tells each step of a return by its name."""

import datetime as dt

import pytest
from django.urls import reverse

from orders.exceptions import ReturnNotAllowedError
from orders.selectors import order_item_delivered_at, order_items_with_delivery, order_returnable_lines
from orders.services import (
    ReturnLine,
    return_approve,
    return_request,
    shipment_create,
    shipment_delivery_record,
)
from tests.factories.fulfilment import ShippingCarrierFactory, two_seller_order

from .returns_helpers import delivered_order, request_return

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return two_seller_order()


def ship(world, seller, number):
    carrier = ShippingCarrierFactory()
    return shipment_create(
        seller=seller, order_id=world.order.pk, carrier_id=carrier.pk, tracking_number=number, actor=seller.user
    )


def ask(world, line, **kwargs):
    return return_request(
        order_id=world.order.pk,
        user=world.customer,
        lines=[ReturnLine(order_item_id=line.pk, quantity=1)],
        reason="damaged",
        **kwargs,
    )


def test_a_line_whose_parcel_arrived_can_go_back_before_the_rest_of_the_order(world, superuser):
    parcel_a = ship(world, world.seller_a, "A-1")
    ship(world, world.seller_b, "B-1")  # on its way
    shipment_delivery_record(shipment_id=parcel_a.pk, actor=superuser)
    parcel_a.refresh_from_db()

    line_a, line_b = world.a_lines[0], world.b_lines[0]
    assert order_item_delivered_at(line_a) == parcel_a.delivered_at
    assert order_item_delivered_at(line_b) is None
    delivered = {item.pk: item.delivered_at for item in order_items_with_delivery(order=world.order)}
    assert delivered[line_a.pk] == parcel_a.delivered_at and delivered[line_b.pk] is None
    assert {line.item.pk: line.returnable for line in order_returnable_lines(order=world.order)} == {
        line_a.pk: 1,
        world.b_lines[0].pk: 0,
        world.b_lines[1].pk: 0,
    }

    rma = ask(world, line_a)
    assert [item.order_item_id for item in rma.items.all()] == [line_a.pk]
    with pytest.raises(ReturnNotAllowedError) as refused:
        ask(world, line_b)
    assert refused.value.extra["why"] == "not_delivered"


def test_the_window_counts_from_the_parcels_delivery(world, superuser, settings):
    settings.ORDER_RETURN_WINDOW_DAYS = 14
    parcel_a = ship(world, world.seller_a, "A-1")
    shipment_delivery_record(shipment_id=parcel_a.pk, actor=superuser)
    parcel_a.refresh_from_db()
    line_a = world.a_lines[0]

    with pytest.raises(ReturnNotAllowedError) as refused:
        ask(world, line_a, now=parcel_a.delivered_at + dt.timedelta(days=14, minutes=1))
    assert refused.value.extra["why"] == "window_closed"
    assert ask(world, line_a, now=parcel_a.delivered_at + dt.timedelta(days=13)).items.count() == 1


def test_the_order_timeline_names_each_step_of_a_return(shopper, customer, variant, superuser):
    order = delivered_order(customer, variant, superuser)
    rma = request_return(order, customer)
    return_approve(return_id=rma.pk, actor=superuser)

    page = shopper.get(reverse("orders:detail", args=[order.pk])).content.decode()
    timeline = page[page.index('id="history-heading"') :]
    assert "Return: requested" in timeline and "Return: approved" in timeline
    assert "return_status" not in page
