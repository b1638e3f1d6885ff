"""Fulfilment pages: the seller center's order lines and shipping form (never another seller's
lines), the customer's timeline with tracking links, and the printable invoice."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import SellerStatus
from orders.models import OrderHistory, OrderState, OrderTracking
from orders.services import shipment_create, shipment_delivery_record
from tests.factories.accounts import CustomerFactory, SellerFactory
from tests.factories.fulfilment import ShippingCarrierFactory, two_seller_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return two_seller_order()


@pytest.fixture
def carrier():
    return ShippingCarrierFactory(name="ParcelCo", code="parcelco")


def signed_in(user) -> Client:
    client = Client(HTTP_USER_AGENT="PageTest/1.0")
    client.force_login(user)
    return client


def ship_form(carrier, number, lines):
    return {"carrier": str(carrier.pk), "tracking_number": number, "items": [str(line.pk) for line in lines]}


# --- seller center --------------------------------------------------------------------------------


def test_a_seller_sees_only_their_own_lines(world):
    page = signed_in(world.seller_a.user).get(reverse("orders_seller:order_lines"))

    assert page.status_code == 200
    body = page.content.decode()
    assert world.a_lines[0].product_title in body
    assert all(line.product_title not in body for line in world.b_lines)


def test_a_seller_sees_only_their_lines_of_a_shared_order(world):
    page = signed_in(world.seller_b.user).get(reverse("orders_seller:order", args=[world.order.pk]))

    body = page.content.decode()
    assert page.status_code == 200
    assert all(line.product_title in body for line in world.b_lines)
    assert world.a_lines[0].product_title not in body


def test_an_order_without_the_sellers_lines_is_a_404(world):
    stranger = SellerFactory()
    client = signed_in(stranger.user)
    assert client.get(reverse("orders_seller:order", args=[world.order.pk])).status_code == 404
    carrier = ShippingCarrierFactory()
    response = client.post(reverse("orders_seller:order", args=[world.order.pk]), ship_form(carrier, "X", []))
    assert response.status_code == 404
    assert not OrderTracking.objects.exists()


@pytest.mark.parametrize("who", ["customer", "pending seller"])
def test_seller_pages_refuse_non_sellers(who):
    user = CustomerFactory().user if who == "customer" else SellerFactory(status=SellerStatus.UNDER_REVIEW).user
    assert signed_in(user).get(reverse("orders_seller:order_lines")).status_code == 403


def test_a_seller_ships_from_the_order_page(world, carrier):
    client = signed_in(world.seller_a.user)
    response = client.post(
        reverse("orders_seller:order", args=[world.order.pk]),
        ship_form(carrier, "PC-100", world.a_lines),
        REMOTE_ADDR="198.51.100.20",
        follow=True,
    )

    assert response.status_code == 200
    assert "Shipped with ParcelCo, tracking number PC-100" in response.content.decode()
    shipment = OrderTracking.objects.get()
    assert shipment.seller == world.seller_a and shipment.lines.count() == 1
    world.order.refresh_from_db()
    assert world.order.status_id == OrderState.PROCESSING
    row = OrderHistory.objects.get(order=world.order, change_type="shipment_created")
    assert (row.ip_address, row.user_agent, row.actor_role) == ("198.51.100.20", "PageTest/1.0", "seller")


def test_another_sellers_line_in_the_form_is_refused(world, carrier):
    client = signed_in(world.seller_a.user)
    response = client.post(
        reverse("orders_seller:order", args=[world.order.pk]), ship_form(carrier, "PC-1", world.b_lines)
    )
    assert response.status_code == 400  # not a choice on this seller's form
    assert not OrderTracking.objects.exists()


def test_refusals_show_on_the_form_and_change_nothing(world, carrier):
    shipment_create(
        seller=world.seller_b,
        order_id=world.order.pk,
        carrier_id=carrier.pk,
        tracking_number="TAKEN",
        actor=world.seller_b.user,
        item_ids=[world.b_lines[0].pk],
    )
    client = signed_in(world.seller_a.user)
    response = client.post(
        reverse("orders_seller:order", args=[world.order.pk]), ship_form(carrier, "TAKEN", world.a_lines)
    )
    assert response.status_code == 409
    assert "already has a shipment with this tracking number" in response.content.decode()
    assert OrderTracking.objects.count() == 1

    response = client.post(reverse("orders_seller:order", args=[world.order.pk]), ship_form(carrier, "", []))
    assert response.status_code == 400
    assert OrderTracking.objects.count() == 1


def test_a_cancelled_order_offers_no_shipping(world, carrier):
    from orders.services import order_cancel

    order_cancel(order_id=world.order.pk, user=world.customer)
    client = signed_in(world.seller_a.user)
    page = client.get(reverse("orders_seller:order", args=[world.order.pk]))
    assert "Mark as shipped" not in page.content.decode()
    # A stale form posted anyway: refused with the reason.
    response = client.post(
        reverse("orders_seller:order", args=[world.order.pk]), ship_form(carrier, "LATE-1", world.a_lines)
    )
    assert response.status_code == 409
    assert not OrderTracking.objects.exists()


def test_the_sellers_line_list_keeps_its_query_count(carrier, django_assert_max_num_queries):
    seller = SellerFactory()
    two_seller_order(seller_a=seller)
    client = signed_in(seller.user)
    url = reverse("orders_seller:order_lines") + "?show=all"
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for _ in range(4):
        world = two_seller_order(seller_a=seller)
        shipment_create(
            seller=seller,
            order_id=world.order.pk,
            carrier_id=carrier.pk,
            tracking_number=f"N{world.order.pk}",
            actor=seller.user,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url)
    assert page.content.decode().count("ParcelCo") == 4


# --- customer pages -------------------------------------------------------------------------------


def test_the_order_page_shows_shipments_with_tracking_links_on_a_timeline(world, carrier, superuser):
    shipment = shipment_create(
        seller=world.seller_a,
        order_id=world.order.pk,
        carrier_id=carrier.pk,
        tracking_number="PC-7",
        actor=world.seller_a.user,
    )
    shipment_delivery_record(shipment_id=shipment.pk, actor=superuser)

    page = signed_in(world.customer).get(reverse("orders:detail", args=[world.order.pk]))

    body = page.content.decode()
    assert page.status_code == 200
    assert f'href="{shipment.tracking_url}"' in body
    assert "Shipped with ParcelCo" in body and "Parcel delivered" in body
    assert "Order placed" in body and "Processing" in body


def test_the_invoice_prints_the_order_for_its_customer_only(world):
    url = reverse("orders:invoice", args=[world.order.pk])
    page = signed_in(world.customer).get(url)

    body = page.content.decode()
    assert page.status_code == 200
    assert world.order.order_number in body and "17.50" in body
    assert 'media="print"' in body and "invoice-print.css" in body
    assert "no-store" in page.get("Cache-Control", "") or "private" in page.get("Cache-Control", "")

    assert signed_in(CustomerFactory().user).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to sign in
