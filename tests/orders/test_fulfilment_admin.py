"""Fulfilment in the staff console: record delivery through the service (with a confirmation
form), carriers, shipments and snapshots read-only, history and shipments inline on the order,
filters by status, seller and date; and the overdue command."""

import datetime as dt
from io import StringIO

import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from orders.models import OrderHistory, OrderSnapshot, OrderState, OrderTracking, ShipmentStatus, ShippingCarrier
from orders.services import shipment_create
from tests.admin_checks import assert_admin_cannot_delete
from tests.factories.fulfilment import ShippingCarrierFactory, two_seller_order

pytestmark = pytest.mark.django_db


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def messages_of(response):
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def carrier():
    return ShippingCarrierFactory(name="ParcelCo", code="parcelco")


@pytest.fixture
def shipped(carrier):
    """An order whose two sellers each shipped: two shipments, the order SHIPPED."""
    world = two_seller_order()
    shipments = [
        shipment_create(
            seller=seller,
            order_id=world.order.pk,
            carrier_id=carrier.pk,
            tracking_number=f"T-{seller.pk}",
            actor=seller.user,
            estimated_delivery_at=timezone.now() + dt.timedelta(days=2),
        )
        for seller in (world.seller_a, world.seller_b)
    ]
    world.order.refresh_from_db()
    assert world.order.status_id == OrderState.SHIPPED
    return world, shipments


def record_delivery(staff_client, shipments, **form):
    return staff_client.post(
        admin_url(OrderTracking, "changelist"),
        {"action": "record_delivery", "_selected_action": [s.pk for s in shipments], **form},
        follow=True,
    )


def test_record_delivery_asks_then_calls_the_service(staff_client, superuser, shipped):
    world, shipments = shipped

    asked = record_delivery(staff_client, shipments)
    assert asked.status_code == 200 and "Signed for by" in asked.content.decode()
    assert not OrderTracking.objects.filter(status=ShipmentStatus.DELIVERED).exists()

    done = record_delivery(staff_client, shipments, apply="1", signature="Front desk")

    assert ("success", "2 delivery(ies) recorded.") in messages_of(done)
    world.order.refresh_from_db()
    assert world.order.status_id == OrderState.DELIVERED
    assert set(OrderTracking.objects.values_list("delivery_signature", flat=True)) == {"Front desk"}
    last = OrderHistory.objects.filter(order=world.order).latest("id")
    assert (last.actor, last.actor_role, last.new_value) == (superuser, "staff", OrderState.DELIVERED)


def test_record_delivery_reports_each_refusal(staff_client, shipped):
    _world, shipments = shipped
    record_delivery(staff_client, shipments[:1], apply="1")

    again = record_delivery(staff_client, shipments, apply="1")

    found = messages_of(again)
    assert ("success", "1 delivery(ies) recorded.") in found
    assert any(level == "error" and "cannot become Delivered" in text for level, text in found)


def test_a_future_delivery_time_is_a_form_error(staff_client, shipped):
    _world, shipments = shipped
    tomorrow = timezone.now() + dt.timedelta(days=1)
    response = record_delivery(
        staff_client,
        shipments[:1],
        apply="1",
        delivered_at_0=tomorrow.strftime("%Y-%m-%d"),
        delivered_at_1="12:00:00",
    )
    assert any(
        level == "error" and "between the shipping time and now" in text for level, text in messages_of(response)
    )
    assert not OrderTracking.objects.filter(status=ShipmentStatus.DELIVERED).exists()


def test_progress_actions(staff_client, shipped):
    _world, shipments = shipped
    staff_client.post(
        admin_url(OrderTracking, "changelist"),
        {"action": "record_failed_attempt", "_selected_action": [shipments[0].pk]},
    )
    shipments[0].refresh_from_db()
    assert (shipments[0].status, shipments[0].delivery_attempts) == (ShipmentStatus.FAILED_ATTEMPT, 1)


def test_the_order_page_shows_shipments_history_and_snapshots(staff_client, shipped):
    world, _shipments = shipped
    page = staff_client.get(admin_url(type(world.order), "change", world.order.pk))
    body = page.content.decode()
    assert page.status_code == 200
    assert "T-" in body and "ParcelCo" in body
    assert "shipment_created" in body  # the history inline
    assert "Order confirmed (paid)" in body  # the snapshot inline


def test_orders_filter_by_seller_and_status(staff_client, shipped):
    world, _shipments = shipped
    other = two_seller_order()
    url = admin_url(type(world.order), "changelist")
    by_seller = staff_client.get(url, {"items__seller__id__exact": world.seller_a.pk}).content.decode()
    assert world.order.order_number in by_seller and other.order.order_number not in by_seller
    by_status = staff_client.get(url, {"status__code__exact": "shipped"}).content.decode()
    assert world.order.order_number in by_status and other.order.order_number not in by_status


def test_snapshots_and_shipments_are_read_only(staff_client, shipped):
    world, shipments = shipped
    snapshot = OrderSnapshot.objects.filter(order=world.order).first()
    assert staff_client.get(admin_url(OrderSnapshot, "add")).status_code == 403
    assert_admin_cannot_delete(staff_client, snapshot)
    before = OrderSnapshot.objects.filter(pk=snapshot.pk).values().get()
    staff_client.post(admin_url(OrderSnapshot, "change", snapshot.pk), {"status": "delivered"})
    assert OrderSnapshot.objects.filter(pk=snapshot.pk).values().get() == before
    assert staff_client.get(admin_url(OrderTracking, "add")).status_code == 403
    assert_admin_cannot_delete(staff_client, shipments[0])


def test_staff_add_a_carrier(staff_client):
    response = staff_client.post(
        admin_url(ShippingCarrier, "add"),
        {
            "name": "Fast Post",
            "code": "fast-post",
            "tracking_url_template": "https://fast.example/t/{tracking_number}",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    carrier = ShippingCarrier.objects.get(code="fast-post")
    assert carrier.tracking_url_for("X 1") == "https://fast.example/t/X%201"

    bad = staff_client.post(
        admin_url(ShippingCarrier, "add"),
        {"name": "No Slot", "code": "no-slot", "tracking_url_template": "https://x.example/", "is_active": "on"},
    )
    assert bad.status_code == 200 and "must contain {tracking_number}" in bad.content.decode()


# --- manage.py mark_overdue_shipments --------------------------------------------------------------


def test_the_overdue_command_flags_late_shipments_and_says_how_many(shipped):
    _world, shipments = shipped
    out = StringIO()
    later = (timezone.now() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")

    call_command("mark_overdue_shipments", stdout=out)
    assert out.getvalue().startswith("0 shipment(s) flagged overdue")

    OrderTracking.objects.filter(pk=shipments[0].pk).update(
        estimated_delivery_at=timezone.now() - dt.timedelta(hours=1)
    )
    out = StringIO()
    call_command("mark_overdue_shipments", stdout=out)
    assert out.getvalue().startswith("1 shipment(s) flagged overdue")
    assert out.getvalue().count("\n") == 1
    assert list(OrderTracking.objects.filter(is_overdue=True).values_list("pk", flat=True)) == [shipments[0].pk]

    with pytest.raises(CommandError, match="cannot be in the future"):
        call_command("mark_overdue_shipments", "--as-of", later)


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01T00:00", ""])
def test_the_overdue_command_refuses_a_bad_moment(value):
    with pytest.raises(CommandError, match="--as-of is a date and time"):
        call_command("mark_overdue_shipments", "--as-of", value)


def test_the_hourly_task_runs_the_same_service(shipped):
    from orders.tasks import shipments_mark_overdue_task

    _world, shipments = shipped
    OrderTracking.objects.filter(pk=shipments[1].pk).update(estimated_delivery_at=timezone.now() - dt.timedelta(days=1))
    assert shipments_mark_overdue_task() == 1
    assert shipments_mark_overdue_task() == 0


def test_staff_status_changes_record_the_staff_role_and_client(staff_client, superuser):
    world = two_seller_order()
    staff_client.post(
        admin_url(type(world.order), "changelist"),
        {"action": "mark_processing", "_selected_action": [world.order.pk]},
        REMOTE_ADDR="192.0.2.44",
        HTTP_USER_AGENT="StaffBrowser/3",
    )
    row = OrderHistory.objects.filter(order=world.order).latest("id")
    assert (row.new_value, row.actor, row.actor_role) == (OrderState.PROCESSING, superuser, "staff")
    assert (row.ip_address, row.user_agent) == ("192.0.2.44", "StaffBrowser/3")
    snapshot = OrderSnapshot.objects.filter(order=world.order).latest("id")
    assert snapshot.status == OrderState.PROCESSING and snapshot.reason == "status_change"
