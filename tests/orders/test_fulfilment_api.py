"""Fulfilment API: orders/{id}/shipments/, seller/orders/ and seller/shipments/ — owners only,
every refusal with its code and nothing changed, constant queries on the seller's lists."""

import pytest
from rest_framework.test import APIClient

from orders.models import OrderHistory, OrderState, OrderTracking
from orders.services import order_cancel, shipment_create, shipment_delivery_record
from tests.factories.accounts import CustomerFactory, SellerFactory
from tests.factories.fulfilment import ShippingCarrierFactory, two_seller_order

pytestmark = pytest.mark.django_db

SHIPMENTS = "/api/v1/seller/shipments/"
LINES = "/api/v1/seller/orders/"


@pytest.fixture
def world():
    return two_seller_order()


@pytest.fixture
def carrier():
    return ShippingCarrierFactory(code="parcelco", tracking_url_template="https://track.example/{tracking_number}")


def api_for(user) -> APIClient:
    client = APIClient(HTTP_USER_AGENT="ShopApp/2.0")
    client.force_authenticate(user)
    return client


def body(world, carrier, number="PC-1", lines=None, **extra):
    data = {"order_id": world.order.pk, "carrier_id": carrier.pk, "tracking_number": number}
    if lines is not None:
        data["item_ids"] = [line.pk for line in lines]
    return {**data, **extra}


def test_a_seller_ships_through_the_api(world, carrier):
    response = api_for(world.seller_a.user).post(
        SHIPMENTS, body(world, carrier, estimated_delivery_at="2030-01-02T12:00:00Z"), format="json"
    )

    assert response.status_code == 201, response.json()
    shipped = response.json()
    assert shipped["tracking_url"] == "https://track.example/PC-1"
    assert shipped["item_ids"] == [world.a_lines[0].pk]
    assert shipped["carrier"]["code"] == "parcelco" and shipped["status"] == "shipped"
    world.order.refresh_from_db()
    assert world.order.status_id == OrderState.PROCESSING
    row = OrderHistory.objects.get(order=world.order, change_type="shipment_created")
    assert row.user_agent == "ShopApp/2.0" and row.actor_role == "seller"


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("another seller's line", 400, "invalid_items"),
        ("unknown field", 400, "validation_error"),
        ("blank number", 400, "validation_error"),
        ("string id", 400, "validation_error"),
        ("inactive carrier", 400, "carrier_unavailable"),
        ("not my order", 404, "not_found"),
        ("already shipped", 409, "already_shipped"),
        ("number taken", 409, "tracking_number_taken"),
        ("cancelled", 409, "not_shippable"),
    ],
)
def test_refusals_have_a_code_and_change_nothing(world, carrier, case, status, code):
    seller_api = api_for(world.seller_a.user)
    data = body(world, carrier)
    if case == "another seller's line":
        data = body(world, carrier, lines=world.a_lines + world.b_lines)
    elif case == "unknown field":
        data["status"] = "delivered"
    elif case == "blank number":
        data["tracking_number"] = ""
    elif case == "string id":
        data["order_id"] = str(world.order.pk)
    elif case == "inactive carrier":
        data["carrier_id"] = ShippingCarrierFactory(is_active=False).pk
    elif case == "not my order":
        seller_api = api_for(SellerFactory().user)
    elif case == "already shipped":
        seller_api.post(SHIPMENTS, body(world, carrier, "FIRST"), format="json")
    elif case == "number taken":
        shipment_create(
            seller=world.seller_b,
            order_id=world.order.pk,
            carrier_id=carrier.pk,
            tracking_number="PC-1",
            actor=world.seller_b.user,
        )
    elif case == "cancelled":
        order_cancel(order_id=world.order.pk, user=world.customer)
    before = list(OrderTracking.objects.values_list("pk", flat=True))

    response = seller_api.post(SHIPMENTS, data, format="json")

    assert response.status_code == status, response.json()
    assert response.json()["code"] == code
    assert list(OrderTracking.objects.values_list("pk", flat=True)) == before


def test_seller_endpoints_refuse_customers_and_visitors():
    customer_api = api_for(CustomerFactory().user)
    for url in (LINES, SHIPMENTS):
        assert customer_api.get(url).status_code == 403
        assert APIClient().get(url).status_code == 401
    assert customer_api.post(SHIPMENTS, {}, format="json").status_code == 403


def test_seller_lines_are_the_sellers_own_and_filtered(world, carrier):
    api_b = api_for(world.seller_b.user)
    lines = api_b.get(LINES).json()["results"]
    assert sorted(line["id"] for line in lines) == sorted(line.pk for line in world.b_lines)

    shipment_create(
        seller=world.seller_b,
        order_id=world.order.pk,
        carrier_id=carrier.pk,
        tracking_number="B-1",
        actor=world.seller_b.user,
        item_ids=[world.b_lines[0].pk],
    )
    to_ship = api_b.get(LINES, {"show": "to_ship"}).json()["results"]
    shipped = api_b.get(LINES, {"show": "shipped"}).json()["results"]
    assert [line["id"] for line in to_ship] == [world.b_lines[1].pk]
    assert [(line["id"], line["shipment_id"] is not None) for line in shipped] == [(world.b_lines[0].pk, True)]
    assert api_b.get(LINES, {"show": "everything"}).status_code == 400

    shipments = api_for(world.seller_a.user).get(SHIPMENTS).json()
    assert shipments["count"] == 0  # seller B's shipment is not seller A's


def test_seller_lists_keep_their_query_count(carrier, django_assert_max_num_queries):
    seller = SellerFactory()
    api = api_for(seller.user)
    world = two_seller_order(seller_a=seller)
    shipment_create(
        seller=seller, order_id=world.order.pk, carrier_id=carrier.pk, tracking_number="N0", actor=seller.user
    )
    counts = {}
    for url in (LINES, SHIPMENTS):
        with django_assert_max_num_queries(20) as few:
            assert api.get(url).status_code == 200
        counts[url] = len(few.captured_queries)
    for n in range(1, 5):
        world = two_seller_order(seller_a=seller)
        shipment_create(
            seller=seller, order_id=world.order.pk, carrier_id=carrier.pk, tracking_number=f"N{n}", actor=seller.user
        )
    for url, count in counts.items():
        with django_assert_max_num_queries(count):
            assert api.get(url).json()["count"] == 5


def test_a_customer_reads_the_shipments_of_their_own_order_only(world, carrier, superuser):
    shipment = shipment_create(
        seller=world.seller_a,
        order_id=world.order.pk,
        carrier_id=carrier.pk,
        tracking_number="A-9",
        actor=world.seller_a.user,
    )
    shipment_delivery_record(shipment_id=shipment.pk, actor=superuser, signature="Pat")
    url = f"/api/v1/orders/{world.order.pk}/shipments/"

    mine = api_for(world.customer).get(url)
    assert mine.status_code == 200
    [row] = mine.json()
    assert row["tracking_url"] == "https://track.example/A-9"
    assert row["status"] == "delivered" and row["delivery_signature"] == "Pat" and row["delivered_at"]

    stranger = api_for(CustomerFactory().user).get(url)
    assert stranger.status_code == 404 and stranger.json()["code"] == "not_found"
    assert api_for(world.seller_a.user).get(url).status_code == 404  # sellers use seller/shipments/


def test_the_schema_documents_the_fulfilment_paths(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    assert {"409", "400", "403"} <= set(paths["/api/v1/seller/shipments/"]["post"]["responses"])
    assert "get" in paths["/api/v1/seller/orders/"]
    assert "get" in paths["/api/v1/orders/{id}/shipments/"]
