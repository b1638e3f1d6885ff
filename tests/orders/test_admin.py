"""The staff console for orders: every page loads, the actions call the services, refusals are
shown as errors and change nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from inventory.models import InventoryItem
from orders.models import (
    DeliveryStatus,
    Order,
    OrderHistory,
    OrderItem,
    OrderNotification,
    OrderNumberCounter,
    OrderState,
    OrderStatus,
    ProductDailySales,
    ProductSaleStat,
)
from orders.services import order_transition, sales_rollup
from payments.models import Wallet
from tests.admin_checks import assert_admin_cannot_delete
from tests.factories.accounts import UserFactory

from .conftest import ledger_sum, place

pytestmark = pytest.mark.django_db

MODELS = [
    Order,
    OrderItem,
    OrderHistory,
    OrderNotification,
    OrderStatus,
    OrderNumberCounter,
    ProductSaleStat,
    ProductDailySales,
]


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def messages_of(response):
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def order(customer, variant):
    order = place(customer, variant, 2)
    sales_rollup(day=order.paid_at.date())
    return order


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_and_change_pages_load(staff_client, order, model):
    assert staff_client.get(admin_url(model, "changelist")).status_code == 200
    assert staff_client.get(admin_url(model, "changelist"), {"q": "OM-"}).status_code == 200
    row = model.objects.order_by("pk").first()
    assert row is not None
    assert staff_client.get(admin_url(model, "change", row.pk)).status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_nothing_is_added_or_deleted_by_hand(staff_client, order, model):
    """Orders come from checkout and the rest from the services: no add or delete pages."""
    assert staff_client.get(admin_url(model, "add")).status_code == 403
    row = model.objects.order_by("pk").first()
    assert staff_client.get(admin_url(model, "delete", row.pk)).status_code == 403
    assert_admin_cannot_delete(staff_client, row)


def test_order_changelist_query_count_is_constant(staff_client, customer, django_assert_max_num_queries):
    from tests.factories.commerce import VariantFactory

    for _ in range(2):
        place(customer, VariantFactory())
    with django_assert_max_num_queries(30) as few:
        staff_client.get(admin_url(Order, "changelist"))
    for _ in range(18):
        place(customer, VariantFactory())
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = staff_client.get(admin_url(Order, "changelist"))
    assert customer.email in response.content.decode()


def test_order_change_page_shows_lines_history_and_read_only_totals(staff_client, order):
    html = staff_client.get(admin_url(Order, "change", order.pk)).content.decode()
    assert order.order_number in html and "40.00" in html
    assert 'name="total_amount"' not in html and 'name="status"' not in html


def test_filters_and_search(staff_client, order, customer):
    url = admin_url(Order, "changelist")
    assert order.order_number in staff_client.get(url, {"status__code__exact": "paid"}).content.decode()
    assert order.order_number not in staff_client.get(url, {"status__code__exact": "shipped"}).content.decode()
    assert order.order_number in staff_client.get(url, {"q": customer.email}).content.decode()


def run_action(staff_client, action, orders, apply=None):
    """Choose an action for the orders; `apply` also sends its confirmation page's form."""
    data = {"action": action, "_selected_action": [o.pk for o in orders]}
    if apply is not None:
        data.update(apply, apply="Apply")
    return staff_client.post(admin_url(Order, "changelist"), data, follow=True)


def test_cancel_action_asks_for_a_reason_first_and_changes_nothing(staff_client, customer, variant, order):
    response = run_action(staff_client, "cancel_orders", [order])

    html = response.content.decode()
    assert response.status_code == 200 and "Cancel orders" in html and order.order_number in html
    assert 'name="reason"' in html and 'name="reason_code"' in html
    order.refresh_from_db()
    assert order.status_id == OrderState.PAID


def test_cancel_action_without_a_reason_shows_the_error(staff_client, order):
    response = run_action(staff_client, "cancel_orders", [order], apply={"reason_code": "other", "reason": ""})

    assert response.status_code == 200 and "This field is required" in response.content.decode()
    order.refresh_from_db()
    assert order.status_id == OrderState.PAID


def test_cancel_action_refunds_through_the_service(staff_client, superuser, customer, variant, order):
    response = run_action(
        staff_client, "cancel_orders", [order], apply={"reason_code": "out_of_stock", "reason": "Supplier failed"}
    )

    order.refresh_from_db()
    assert order.status_id == OrderState.CANCELLED
    assert InventoryItem.objects.get(variant=variant).quantity == 10
    assert Wallet.objects.get(user=customer).balance == Decimal("500.00") == ledger_sum(customer)
    assert ("success", "1 order(s) cancelled and refunded.") in messages_of(response)
    cancellation = order.cancellations.get()
    assert (cancellation.reason, cancellation.notes, cancellation.decided_by) == (
        "out_of_stock",
        "Supplier failed",
        superuser,
    )
    assert order.history.last().reason == "Supplier failed"


def test_cancel_action_reports_a_refusal_as_an_error(staff_client, superuser, customer, variant, order):
    shipped = place(customer, variant)
    for to in (OrderState.PROCESSING, OrderState.SHIPPED):
        order_transition(order_id=shipped.pk, to=to, actor=superuser)

    response = run_action(
        staff_client, "cancel_orders", [order, shipped], apply={"reason_code": "other", "reason": "Fraud suspected"}
    )

    levels = messages_of(response)
    assert ("error", f"{shipped.order_number}: This order can no longer be cancelled.") in levels
    assert ("success", "1 order(s) cancelled and refunded.") in levels
    shipped.refresh_from_db()
    assert shipped.status_id == OrderState.SHIPPED


def test_transition_actions_move_orders_along(staff_client, superuser, order):
    for action, state in (
        ("mark_processing", OrderState.PROCESSING),
        ("mark_shipped", OrderState.SHIPPED),
        ("mark_delivered", OrderState.DELIVERED),
    ):
        response = run_action(staff_client, action, [order])
        order.refresh_from_db()
        assert order.status_id == state
        assert ("success", f"1 order(s) are now {state.label.lower()}.") in messages_of(response)
    assert order.history.last().actor == superuser


def test_transition_action_refuses_a_skipped_step(staff_client, order):
    response = run_action(staff_client, "mark_delivered", [order])

    order.refresh_from_db()
    assert order.status_id == OrderState.PAID
    assert any(level == "error" and "cannot become Delivered" in text for level, text in messages_of(response))


def test_resend_action_sends_pending_and_leaves_sent_alone(staff_client, order, customer, variant):
    pending = OrderNotification.objects.get(order=order)  # on_commit never ran: still pending
    sent = OrderNotification.objects.get(order=place(customer, variant))
    OrderNotification.objects.filter(pk=sent.pk).update(status=DeliveryStatus.SENT)

    response = staff_client.post(
        admin_url(OrderNotification, "changelist"),
        {"action": "resend", "_selected_action": [pending.pk, sent.pk]},
        follow=True,
    )

    pending.refresh_from_db()
    assert pending.status == DeliveryStatus.SENT
    assert len(mail.outbox) == 1 and order.order_number in mail.outbox[0].subject
    assert ("success", "1 notification queued.") in messages_of(response)
    assert ("warning", "1 was already sent and was left alone.") in messages_of(response)


def test_admin_needs_staff(client, customer, order):
    client.force_login(customer)
    response = client.get(admin_url(Order, "changelist"))
    assert response.status_code == 302 and "login" in response["Location"]


# --- roll up a day ---------------------------------------------------------------------------

ROLLUP = "admin:orders_productdailysales_rollup"


def paid_yesterday(customer, variant, quantity):
    order = place(customer, variant, quantity)
    yesterday = timezone.now() - dt.timedelta(days=1)
    Order.objects.filter(pk=order.pk).update(paid_at=yesterday)
    ProductSaleStat.objects.filter(order_item__order=order).update(date=yesterday.date())
    return yesterday.date()


def test_the_daily_sales_changelist_links_to_the_rollup(staff_client, order):
    html = staff_client.get(admin_url(ProductDailySales, "changelist")).content.decode()
    assert reverse(ROLLUP) in html and "Roll up a day" in html


def test_the_rollup_page_loads_for_a_superuser_with_yesterday_filled_in(staff_client, db):
    response = staff_client.get(reverse(ROLLUP))

    assert response.status_code == 200
    yesterday = (timezone.now() - dt.timedelta(days=1)).date().isoformat()
    assert 'type="date"' in response.content.decode() and f'value="{yesterday}"' in response.content.decode()


def test_the_rollup_page_rolls_up_a_day_like_the_command(staff_client, customer, variant):
    day = paid_yesterday(customer, variant, 3)

    response = staff_client.post(reverse(ROLLUP), {"day": day.isoformat()}, follow=True)

    assert response.status_code == 200
    assert list(ProductDailySales.objects.values_list("product_id", "date", "quantity", "revenue")) == [
        (variant.product_id, day, 3, Decimal("60.00"))
    ]
    assert (
        "success",
        f"{day.isoformat()} rolled up: 1 row written (one per product with sales).",
    ) in messages_of(response)
    assert response.redirect_chain[-1][0].startswith(admin_url(ProductDailySales, "changelist"))
    again = staff_client.post(reverse(ROLLUP), {"day": day.isoformat()}, follow=True)
    assert list(ProductDailySales.objects.values_list("product_id", "date", "quantity", "revenue")) == [
        (variant.product_id, day, 3, Decimal("60.00"))
    ]
    assert ("success", f"{day.isoformat()} rolled up: 1 row written (one per product with sales).") in messages_of(
        again
    )


@pytest.mark.parametrize(
    ("offset", "message"),
    [(0, "Cannot roll up today: the day is not over yet"), (1, "Cannot roll up a day in the future")],
)
def test_the_rollup_page_refuses_a_day_not_over_and_writes_nothing(staff_client, customer, variant, offset, message):
    place(customer, variant, 2)
    day = timezone.now().date() + dt.timedelta(days=offset)

    response = staff_client.post(reverse(ROLLUP), {"day": day.isoformat()})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ProductDailySales.objects.exists()


def test_the_rollup_page_refuses_a_malformed_day(staff_client, db):
    response = staff_client.post(reverse(ROLLUP), {"day": "yesterday"})
    assert response.status_code == 200 and "Enter a valid date." in response.content.decode()
    assert not ProductDailySales.objects.exists()


def test_the_rollup_needs_the_permission_to_change_daily_sales(client, db):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_productdailysales"))
    client.force_login(viewer)

    assert client.get(admin_url(ProductDailySales, "changelist")).status_code == 200
    assert reverse(ROLLUP) not in client.get(admin_url(ProductDailySales, "changelist")).content.decode()
    assert client.get(reverse(ROLLUP)).status_code == 403
    assert client.post(reverse(ROLLUP), {"day": "2026-11-18"}).status_code == 403


# --- order statuses ------------------------------------------------------------------------------


def test_order_statuses_can_be_searched_and_filtered(staff_client, db):
    url = admin_url(OrderStatus, "changelist")

    found = staff_client.get(url, {"q": "deliv"})
    final = staff_client.get(url, {"is_final_state__exact": "1"})
    cancelled_group = staff_client.get(url, {"group": "cancelled"})

    assert [s.code for s in found.context["cl"].result_list] == ["delivered"]
    assert sorted(s.code for s in final.context["cl"].result_list) == ["cancelled", "refunded"]
    assert sorted(s.code for s in cancelled_group.context["cl"].result_list) == ["cancelled", "refunded"]
