"""Fulfilment services: sellers ship their own lines, deliveries are recorded, the order's status
follows, every step is in the history, snapshotted and e-mailed; every refusal changes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from common.exceptions import InvalidTransitionError, NotFoundError
from common.outbox import notification_send
from orders.exceptions import (
    AlreadyShippedError,
    CarrierUnavailableError,
    OrderNotShippableError,
    ShipmentInputError,
    ShipmentItemsError,
    TrackingNumberTakenError,
)
from orders.models import (
    ActorRole,
    NotificationKind,
    OrderHistory,
    OrderNotification,
    OrderSnapshot,
    OrderState,
    OrderTracking,
    ShipmentStatus,
    SnapshotReason,
)
from orders.selectors import order_has_shipment, order_item_delivered_at, order_items_with_delivery
from orders.services import (
    order_cancel,
    order_transition,
    shipment_create,
    shipment_delivery_record,
    shipment_progress_record,
    shipments_mark_overdue,
)
from tests.factories.accounts import SellerFactory
from tests.factories.fulfilment import ShippingCarrierFactory, two_seller_order

pytestmark = pytest.mark.django_db

META = {"ip_address": "203.0.113.9", "user_agent": "SellerBrowser/1.0"}


@pytest.fixture
def world():
    return two_seller_order()


@pytest.fixture
def carrier():
    return ShippingCarrierFactory(code="parcelco", tracking_url_template="https://track.example/{tracking_number}")


def ship(world, seller, carrier, number, **kwargs):
    return shipment_create(
        seller=seller,
        order_id=world.order.pk,
        carrier_id=carrier.pk,
        tracking_number=number,
        actor=seller.user,
        **kwargs,
    )


def status_of(order):
    order.refresh_from_db()
    return order.status_id


def test_a_seller_ships_their_lines_and_the_order_is_processing(world, carrier):
    shipment = ship(world, world.seller_a, carrier, "AB 123/4", **META)

    assert shipment.seller == world.seller_a
    assert shipment.tracking_url == "https://track.example/AB%20123%2F4"
    assert [line.order_item for line in shipment.lines.all()] == world.a_lines
    assert status_of(world.order) == OrderState.PROCESSING  # seller B has not shipped yet
    created = OrderHistory.objects.get(order=world.order, change_type="shipment_created")
    assert (created.actor, created.actor_role) == (world.seller_a.user, ActorRole.SELLER)
    assert (created.ip_address, created.user_agent) == ("203.0.113.9", "SellerBrowser/1.0")
    moved = OrderHistory.objects.get(order=world.order, new_value=OrderState.PROCESSING)
    assert moved.actor_role == ActorRole.SELLER and moved.ip_address == "203.0.113.9"
    assert order_has_shipment(world.order)


def test_the_order_ships_when_every_seller_has_shipped(world, carrier):
    ship(world, world.seller_a, carrier, "A-1")
    ship(world, world.seller_b, carrier, "B-1", item_ids=[world.b_lines[0].pk])
    assert status_of(world.order) == OrderState.PROCESSING  # one of B's lines is still here

    ship(world, world.seller_b, carrier, "B-2", item_ids=[world.b_lines[1].pk])

    assert status_of(world.order) == OrderState.SHIPPED
    assert world.order.shipments.count() == 3


def test_one_shipment_covering_the_whole_order_goes_paid_processing_shipped(carrier):
    seller = SellerFactory()
    world = two_seller_order(seller_a=seller)
    ship(world, world.seller_a, carrier, "A-1")
    ship(world, world.seller_b, carrier, "B-1")

    states = list(
        OrderHistory.objects.filter(order=world.order, field_name="status").values_list("new_value", flat=True)
    )
    assert states == ["pending", "paid", "processing", "shipped"]


def test_shipping_queues_one_shipped_email_per_shipment_with_the_tracking_link(world, carrier):
    first = ship(world, world.seller_a, carrier, "A-1")
    second = ship(world, world.seller_b, carrier, "B-1")

    rows = OrderNotification.objects.filter(subject_id=world.order.pk, kind=NotificationKind.SHIPPED).order_by("id")
    assert [row.context for row in rows] == [{"tracking_id": first.pk}, {"tracking_id": second.pk}]
    assert rows[0].dedupe_key == f"order:{world.order.pk}:shipped:shipment:{first.pk}"

    notification_send(notification_id=rows[0].pk)
    message = mail.outbox[-1]
    assert message.subject == f"Your order {world.order.order_number} is on its way"
    assert "https://track.example/A-1" in message.body
    assert world.a_lines[0].product_title in message.body
    assert world.b_lines[0].product_title not in message.body


@pytest.mark.parametrize("status", [OrderState.SHIPPED, OrderState.DELIVERED])
def test_an_order_moved_along_by_hand_counts_as_shipped(world, status, superuser):
    order_transition(order_id=world.order.pk, to=OrderState.PROCESSING, actor=superuser)
    order_transition(order_id=world.order.pk, to=OrderState.SHIPPED, actor=superuser)
    if status == OrderState.DELIVERED:
        order_transition(order_id=world.order.pk, to=OrderState.DELIVERED, actor=superuser)
    world.order.refresh_from_db()
    assert order_has_shipment(world.order)


def test_a_paid_order_has_no_shipment(world):
    assert not order_has_shipment(world.order)


# --- refusals: a clear error and nothing changed --------------------------------------------------


def _nothing_shipped(world):
    assert not OrderTracking.objects.filter(order=world.order).exists()
    assert status_of(world.order) == OrderState.PAID
    assert not OrderHistory.objects.filter(order=world.order, field_name="shipment").exists()


def test_another_sellers_lines_are_refused(world, carrier):
    with pytest.raises(ShipmentItemsError) as refused:
        ship(world, world.seller_a, carrier, "X-1", item_ids=[world.a_lines[0].pk, world.b_lines[0].pk])
    assert refused.value.extra == {"item_ids": [world.b_lines[0].pk]}
    _nothing_shipped(world)


def test_an_order_without_the_sellers_lines_does_not_exist_for_them(world, carrier):
    stranger = SellerFactory()
    with pytest.raises(NotFoundError):
        ship(world, stranger, carrier, "X-1")
    _nothing_shipped(world)


def test_a_cancelled_order_cannot_ship(world, carrier):
    order_cancel(order_id=world.order.pk, user=world.customer)
    with pytest.raises(OrderNotShippableError):
        ship(world, world.seller_a, carrier, "X-1")
    assert not OrderTracking.objects.exists()


def test_lines_ship_once(world, carrier):
    ship(world, world.seller_a, carrier, "A-1")
    with pytest.raises(AlreadyShippedError):
        ship(world, world.seller_a, carrier, "A-2")
    with pytest.raises(AlreadyShippedError) as refused:
        ship(world, world.seller_a, carrier, "A-3", item_ids=[world.a_lines[0].pk])
    assert refused.value.extra == {"item_ids": [world.a_lines[0].pk]}
    assert OrderTracking.objects.count() == 1


def test_a_tracking_number_is_unique_per_carrier(world, carrier):
    ship(world, world.seller_a, carrier, "SAME-1")
    with pytest.raises(TrackingNumberTakenError):
        ship(world, world.seller_b, carrier, "SAME-1")
    other_carrier = ShippingCarrierFactory()
    ship(world, world.seller_b, other_carrier, "SAME-1")  # another carrier's numbers are its own
    assert OrderTracking.objects.count() == 2


def test_an_inactive_carrier_and_a_blank_number_are_refused(world, carrier):
    retired = ShippingCarrierFactory(is_active=False)
    with pytest.raises(CarrierUnavailableError):
        ship(world, world.seller_a, retired, "A-1")
    with pytest.raises(ShipmentInputError):
        ship(world, world.seller_a, carrier, "   ")
    _nothing_shipped(world)


# --- delivery -------------------------------------------------------------------------------------


def test_the_order_is_delivered_when_every_shipment_arrived(world, carrier, superuser):
    a = ship(world, world.seller_a, carrier, "A-1")
    b = ship(world, world.seller_b, carrier, "B-1")

    shipment_delivery_record(shipment_id=a.pk, actor=superuser, signature="J. Doe", **META)
    assert status_of(world.order) == OrderState.SHIPPED
    shipment_delivery_record(shipment_id=b.pk, actor=superuser)

    assert status_of(world.order) == OrderState.DELIVERED
    a.refresh_from_db()
    assert (a.status, a.delivery_signature, a.delivery_attempts) == (ShipmentStatus.DELIVERED, "J. Doe", 1)
    delivered = OrderHistory.objects.filter(order=world.order, change_type="shipment_delivered").first()
    assert delivered.actor_role == ActorRole.STAFF and delivered.ip_address == "203.0.113.9"
    kinds = OrderNotification.objects.filter(subject_id=world.order.pk, kind=NotificationKind.DELIVERED)
    assert kinds.count() == 2


def test_a_delivery_before_the_last_seller_ships_leaves_the_order_processing(world, carrier, superuser):
    a = ship(world, world.seller_a, carrier, "A-1")
    shipment_delivery_record(shipment_id=a.pk, actor=superuser)
    assert status_of(world.order) == OrderState.PROCESSING

    b = ship(world, world.seller_b, carrier, "B-1")
    assert status_of(world.order) == OrderState.SHIPPED
    shipment_delivery_record(shipment_id=b.pk, actor=superuser)
    assert status_of(world.order) == OrderState.DELIVERED


def test_a_delivery_is_recorded_once(world, carrier, superuser):
    a = ship(world, world.seller_a, carrier, "A-1")
    shipment_delivery_record(shipment_id=a.pk, actor=superuser)
    with pytest.raises(InvalidTransitionError):
        shipment_delivery_record(shipment_id=a.pk, actor=superuser)
    with pytest.raises(InvalidTransitionError):
        shipment_progress_record(shipment_id=a.pk, status=ShipmentStatus.IN_TRANSIT, actor=superuser)
    assert OrderHistory.objects.filter(order=world.order, change_type="shipment_delivered").count() == 1


def test_a_delivery_time_out_of_range_is_refused(world, carrier, superuser):
    a = ship(world, world.seller_a, carrier, "A-1")
    for when in (timezone.now() + dt.timedelta(hours=1), a.shipped_at - dt.timedelta(minutes=1)):
        with pytest.raises(ShipmentInputError):
            shipment_delivery_record(shipment_id=a.pk, actor=superuser, delivered_at=when)
    a.refresh_from_db()
    assert a.status == ShipmentStatus.SHIPPED and a.delivered_at is None


def test_an_unknown_shipment_is_not_found(superuser):
    with pytest.raises(NotFoundError):
        shipment_delivery_record(shipment_id=999_999, actor=superuser)


def test_progress_and_failed_attempts_are_counted(world, carrier, superuser):
    a = ship(world, world.seller_a, carrier, "A-1")
    shipment_progress_record(shipment_id=a.pk, status=ShipmentStatus.IN_TRANSIT, location="Hub 7", actor=superuser)
    shipment_progress_record(
        shipment_id=a.pk, status=ShipmentStatus.FAILED_ATTEMPT, note="Nobody home", actor=None, actor_role="system"
    )
    a.refresh_from_db()
    assert (a.status, a.last_location, a.last_status_update, a.delivery_attempts) == (
        ShipmentStatus.FAILED_ATTEMPT,
        "Hub 7",
        "Nobody home",
        1,
    )
    shipment_delivery_record(shipment_id=a.pk, actor=superuser)
    a.refresh_from_db()
    assert a.delivery_attempts == 2
    with pytest.raises(ShipmentInputError):
        shipment_progress_record(shipment_id=a.pk, status=ShipmentStatus.DELIVERED, actor=superuser)


def test_a_line_knows_when_it_was_delivered(world, carrier, superuser):
    a = ship(world, world.seller_a, carrier, "A-1")
    assert order_item_delivered_at(world.a_lines[0]) is None
    delivered = shipment_delivery_record(shipment_id=a.pk, actor=superuser)

    assert order_item_delivered_at(world.a_lines[0]) == delivered.delivered_at
    assert order_item_delivered_at(world.b_lines[0]) is None
    annotated = {item.pk: item.delivered_at for item in order_items_with_delivery(order=world.order)}
    assert annotated == {
        world.a_lines[0].pk: delivered.delivered_at,
        world.b_lines[0].pk: None,
        world.b_lines[1].pk: None,
    }


# --- overdue --------------------------------------------------------------------------------------


def test_overdue_shipments_are_flagged_once(world, carrier, superuser):
    yesterday = timezone.now() - dt.timedelta(days=1)
    late = ship(world, world.seller_a, carrier, "A-1", estimated_delivery_at=yesterday)
    on_time = ship(world, world.seller_b, carrier, "B-1", estimated_delivery_at=timezone.now() + dt.timedelta(days=2))

    assert shipments_mark_overdue() == 1
    assert shipments_mark_overdue() == 0

    late.refresh_from_db()
    on_time.refresh_from_db()
    assert late.is_overdue and late.overdue_since is not None and not on_time.is_overdue
    row = OrderHistory.objects.get(order=world.order, change_type="shipment_overdue")
    assert row.actor is None and row.actor_role == ActorRole.SYSTEM


def test_a_delivered_shipment_is_never_overdue(world, carrier, superuser):
    late = ship(world, world.seller_a, carrier, "A-1", estimated_delivery_at=timezone.now() - dt.timedelta(days=1))
    shipment_delivery_record(shipment_id=late.pk, actor=superuser)
    assert shipments_mark_overdue() == 0


# --- snapshots ------------------------------------------------------------------------------------


def test_a_snapshot_is_taken_at_confirmation_and_at_every_status_change(world, carrier, superuser):
    confirmation = OrderSnapshot.objects.get(order=world.order)
    assert confirmation.reason == SnapshotReason.CONFIRMATION and confirmation.status == OrderState.PAID
    assert confirmation.total_amount == Decimal("17.50")
    lines = confirmation.data["lines"]
    assert [line["id"] for line in lines] == sorted(i.pk for i in world.a_lines + world.b_lines)
    assert {line["unit_price"] for line in lines} == {"10.00", "5.00", "2.50"}
    assert confirmation.data["order"]["total_amount"] == "17.50"
    assert "idempotency_key" not in confirmation.data["order"]

    ship(world, world.seller_a, carrier, "A-1")
    ship(world, world.seller_b, carrier, "B-1")

    snapshots = list(OrderSnapshot.objects.filter(order=world.order).order_by("id"))
    assert [(s.reason, s.status) for s in snapshots] == [
        (SnapshotReason.CONFIRMATION, OrderState.PAID),
        (SnapshotReason.STATUS_CHANGE, OrderState.PROCESSING),
        (SnapshotReason.STATUS_CHANGE, OrderState.SHIPPED),
    ]
    assert snapshots[-1].data["order"]["status_id"] == OrderState.SHIPPED
    assert snapshots[-1].data["order"]["order_number"] == world.order.order_number


def test_a_cancellation_is_snapshotted_with_its_time(world):
    order_cancel(order_id=world.order.pk, user=world.customer, **META)
    snapshot = OrderSnapshot.objects.filter(order=world.order).latest("id")
    assert snapshot.status == OrderState.CANCELLED
    assert snapshot.data["order"]["cancelled_at"] is not None
    row = OrderHistory.objects.filter(order=world.order).latest("id")
    assert (row.actor_role, row.ip_address, row.user_agent) == (ActorRole.CUSTOMER, *META.values())
