"""Returns (RMA) through the pages: the customer asks on the order page and follows the return;
staff approve, reject, receive, inspect and refund in the admin. Refusals show the reason and
change nothing; another customer's order or return is a 404."""

import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from inventory.models import ChangeType, InventoryHistory
from orders.models import OrderHistory, OrderReturn, ReturnStatus
from orders.services import return_approve, return_inspect, return_receive
from payments.models import Wallet

from .conftest import ledger_sum, place
from .returns_helpers import delivered_order, request_return

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(customer, variant, superuser):
    return delivered_order(customer, variant, superuser, quantity=2)


def create_url(order):
    return reverse("orders:return_create", args=[order.pk])


def form(order, quantity=1, **extra):
    return {f"quantity_{order.items.get().pk}": str(quantity), "reason": "damaged", "destination": "original", **extra}


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- the customer ----------------------------------------------------------------------------


def test_the_order_page_offers_a_return_once_delivered(shopper, customer, variant, order):
    page = shopper.get(reverse("orders:detail", args=[order.pk]))
    assert page.status_code == 200 and create_url(order) in page.content.decode()
    undelivered = place(customer, variant, 1)
    page = shopper.get(reverse("orders:detail", args=[undelivered.pk]))
    assert create_url(undelivered) not in page.content.decode()


def test_ask_for_a_return_from_the_page(shopper, order):
    page = shopper.get(create_url(order))
    assert page.status_code == 200 and 'name="quantity_' in page.content.decode()

    response = shopper.post(create_url(order), form(order, 2, destination="wallet", reason_text="Dented"))

    rma = OrderReturn.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("orders:return_detail", args=[rma.pk])
    assert (rma.status, rma.refund_destination, rma.reason_text) == ("requested", "wallet", "Dented")
    assert rma.items.get().quantity == 2
    detail = shopper.get(response["Location"])
    assert detail.status_code == 200
    assert f"RMA-{rma.pk}" in detail.content.decode() and "40.00" in detail.content.decode()
    order_page = shopper.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert reverse("orders:return_detail", args=[rma.pk]) in order_page
    assert create_url(order) not in order_page  # nothing left to return


@pytest.mark.parametrize(
    "data",
    [
        {"reason": "damaged", "destination": "original"},  # no quantity at all
        "ZERO",
        "TOO_MANY",
        "BAD_REASON",
        "BAD_DESTINATION",
        "NEGATIVE",
    ],
)
def test_bad_forms_are_400_and_change_nothing(shopper, order, data):
    data = (
        {
            "ZERO": form(order, 0),
            "TOO_MANY": form(order, 3),
            "NEGATIVE": form(order, -1),
            "BAD_REASON": form(order, 1, reason="bored"),
            "BAD_DESTINATION": form(order, 1, destination="bank"),
        }.get(data, data)
        if isinstance(data, str)
        else data
    )

    response = shopper.post(create_url(order), data)

    assert response.status_code == 400
    assert not OrderReturn.objects.exists()


def test_a_window_closed_meanwhile_is_shown(shopper, customer, variant, superuser, settings):
    order = delivered_order(customer, variant, superuser, quantity=1)
    data = form(order, 1)
    settings.ORDER_RETURN_WINDOW_DAYS = 0  # the window closes between drawing the page and sending it
    response = shopper.post(create_url(order), data)
    assert response.status_code == 400 and not OrderReturn.objects.exists()
    assert "Nothing in this order can be returned now" in response.content.decode()


def test_a_refusal_from_the_service_is_shown_with_409(shopper, order, customer, monkeypatch):
    from orders import selectors

    real = selectors.order_returnable_lines
    data = form(order, 2)

    def stale(**kwargs):  # the page was drawn before another request took the units
        return [
            line.__class__(line.item, line.item.quantity, line.delivered_at, line.window_closes_at)
            for line in real(**kwargs)
        ]

    request_return(order, customer, quantity=2)
    monkeypatch.setattr(selectors, "order_returnable_lines", stale)
    response = shopper.post(create_url(order), data)
    assert response.status_code == 409
    assert "at most 0" in response.content.decode()
    assert OrderReturn.objects.count() == 1


def test_another_customers_order_and_return_are_404(client, other_customer, order, customer):
    rma = request_return(order, customer)
    client.force_login(other_customer)
    assert client.get(create_url(order)).status_code == 404
    assert client.post(create_url(order), form(order)).status_code == 404
    assert client.get(reverse("orders:return_detail", args=[rma.pk])).status_code == 404
    assert OrderReturn.objects.count() == 1


def test_signed_out_goes_to_sign_in(client, order):
    response = client.get(create_url(order))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_the_order_page_query_count_does_not_grow_with_returns(shopper, order, customer, django_assert_max_num_queries):
    request_return(order, customer, quantity=1)
    url = reverse("orders:detail", args=[order.pk])
    shopper.get(url)
    with django_assert_max_num_queries(40) as first:
        shopper.get(url)
    request_return(order, customer, quantity=1)
    with django_assert_max_num_queries(len(first.captured_queries)):
        shopper.get(url)


# --- staff -----------------------------------------------------------------------------------


def step_url(rma, step):
    return reverse(f"admin:orders_orderreturn_{step}", args=[rma.pk])


def test_staff_list_filter_and_open_returns(staff_client, order, customer):
    rma = request_return(order, customer)
    changelist = reverse("admin:orders_orderreturn_changelist")
    assert staff_client.get(changelist).status_code == 200
    assert staff_client.get(changelist + "?status__exact=requested").status_code == 200
    assert staff_client.get(changelist + "?created_at__gte=2000-01-01T00:00:00%2B00:00").status_code == 200
    page = staff_client.get(reverse("admin:orders_orderreturn_change", args=[rma.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert step_url(rma, "approve") in content and step_url(rma, "reject") in content
    assert step_url(rma, "refund") not in content


def return_links(page) -> set[int]:
    """The returns an admin page links to."""
    return {int(pk) for pk in re.findall(r"/admin/orders/orderreturn/(\d+)/change/", page.content.decode())}


def test_the_order_admin_page_shows_its_returns_read_only_with_links(staff_client, order, customer):
    rma = request_return(order, customer, quantity=2, reason="damaged")
    item = order.items.get()

    page = staff_client.get(reverse("admin:orders_order_change", args=[order.pk]))

    content = page.content.decode()
    assert page.status_code == 200
    assert 'id="returns-group"' in content
    assert return_links(page) == {rma.pk}
    assert f"2 x {item.product_title} ({item.sku})" in content
    assert 'name="returns-0-status"' not in content  # shown, never edited here
    assert "returns-0-DELETE" not in content


def test_the_order_admin_page_query_count_does_not_grow_with_returns(
    staff_client, customer, variant, superuser, django_assert_max_num_queries, django_assert_num_queries
):
    order = delivered_order(customer, variant, superuser, quantity=3)
    first = request_return(order, customer, quantity=1)
    url = reverse("admin:orders_order_change", args=[order.pk])
    staff_client.get(url)
    with django_assert_max_num_queries(60) as one:
        assert return_links(staff_client.get(url)) == {first.pk}
    return_approve(return_id=first.pk, actor=superuser, restocking_fee=Decimal("1.00"))
    others = {request_return(order, customer, quantity=1).pk for _ in range(2)}

    with django_assert_num_queries(len(one.captured_queries)):
        assert return_links(staff_client.get(url)) == {first.pk, *others}


def test_staff_take_a_return_all_the_way(staff_client, order, customer, variant):
    rma = request_return(order, customer, quantity=2)
    balance = Wallet.objects.get(user=customer).balance

    assert staff_client.get(step_url(rma, "approve")).status_code == 200
    response = staff_client.post(
        step_url(rma, "approve"),
        {"return_shipping_cost": "5.00", "customer_pays_shipping": "on", "restocking_fee": "1.00"},
    )
    assert response.status_code == 302
    staff_client.post(step_url(rma, "receive"), {"carrier": "Post", "tracking_number": "RT9"})
    staff_client.post(step_url(rma, "inspect"), {"condition_rating": "5", "inspection_notes": "fine"})
    response = staff_client.post(step_url(rma, "refund"), {})

    rma.refresh_from_db()
    assert response.status_code == 302
    assert rma.status == ReturnStatus.REFUNDED and rma.refund_amount == Decimal("34.00")
    assert (rma.return_tracking_number, rma.condition_rating) == ("RT9", 5)
    assert Wallet.objects.get(user=customer).balance == balance + Decimal("34.00") == ledger_sum(customer)
    assert InventoryHistory.objects.filter(change_type=ChangeType.RETURN).count() == 1
    approved = OrderHistory.objects.get(order=order, change_type="return", new_value="approved")
    assert (approved.ip_address, approved.actor.is_staff) == ("127.0.0.1", True)


def test_staff_reject_needs_a_reason(staff_client, order, customer):
    rma = request_return(order, customer)
    assert staff_client.post(step_url(rma, "reject"), {"reason": ""}).status_code == 200
    rma.refresh_from_db()
    assert rma.status == ReturnStatus.REQUESTED
    staff_client.post(step_url(rma, "reject"), {"reason": "Outside policy"})
    rma.refresh_from_db()
    assert (rma.status, rma.rejection_reason) == ("rejected", "Outside policy")


def test_a_refused_step_in_the_admin_changes_nothing(staff_client, order, customer):
    rma = request_return(order, customer)
    response = staff_client.post(step_url(rma, "refund"), {})
    assert response.status_code == 200
    assert "cannot become refunded" in response.content.decode()
    rma.refresh_from_db()
    assert rma.status == ReturnStatus.REQUESTED


def test_bulk_actions_call_the_services_and_report_refusals(staff_client, order, customer, superuser):
    first = request_return(order, customer)
    second = request_return(order, customer)
    return_approve(return_id=second.pk, actor=superuser)
    return_receive(return_id=second.pk, actor=superuser)
    return_inspect(return_id=second.pk, actor=superuser, condition_rating=3)
    changelist = reverse("admin:orders_orderreturn_changelist")

    response = staff_client.post(
        changelist, {"action": "return_approve", "_selected_action": [first.pk, second.pk]}, follow=True
    )

    texts = messages_of(response)
    assert any("1 return(s) are now approved" in t for t in texts)
    assert any(f"RMA-{second.pk}" in t and "cannot become approved" in t for t in texts)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("approved", "inspected")


def test_customers_cannot_open_the_return_admin(client, customer, order):
    rma = request_return(order, customer)
    client.force_login(customer)
    response = client.post(step_url(rma, "approve"), {})
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    rma.refresh_from_db()
    assert rma.status == ReturnStatus.REQUESTED


# --- the seller center (read-only) -----------------------------------------------------------


def test_a_seller_sees_the_returns_of_their_own_lines_only(client, customer, superuser, django_assert_max_num_queries):
    from tests.factories.commerce import VariantFactory

    own = VariantFactory(price=Decimal("20.00"), stock=10)
    foreign = VariantFactory(price=Decimal("9.00"), stock=10)
    from orders.services import ReturnLine, return_request

    order = delivered_order(customer, own, superuser, quantity=1)
    other = delivered_order(customer, foreign, superuser, quantity=1)
    mine = return_request(
        order_id=order.pk, user=customer, lines=[ReturnLine(order.items.get().pk, 1)], reason="damaged"
    )
    theirs = return_request(
        order_id=other.pk, user=customer, lines=[ReturnLine(other.items.get().pk, 1)], reason="damaged"
    )
    client.force_login(own.product.seller.user)

    page = client.get(reverse("seller_returns:list"))

    content = page.content.decode()
    assert page.status_code == 200
    assert str(mine) in content and own.product.title in content
    assert str(theirs) not in content and foreign.product.title not in content
    assert page["Cache-Control"].startswith(("private", "no-store")) or "no-store" in page["Cache-Control"]


def test_a_customer_cannot_open_the_seller_returns(shopper):
    assert shopper.get(reverse("seller_returns:list")).status_code == 403
