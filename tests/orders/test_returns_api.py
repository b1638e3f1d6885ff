"""The returns API: orders/{id}/returns/ (list, create) and returns/{id}/. Another customer's order
or return is a 404, a refused request a 409 with a code, bad input a 400 with field errors."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from orders.models import OrderReturn
from orders.services import return_approve, return_reject

from .conftest import place
from .returns_helpers import delivered_order, request_return

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(customer, variant, superuser):
    return delivered_order(customer, variant, superuser, quantity=2)


def returns_url(order_id):
    return f"/api/v1/orders/{order_id}/returns/"


def body(order, quantity=1, **extra):
    return {"items": [{"order_item_id": order.items.get().pk, "quantity": quantity}], "reason": "damaged", **extra}


def test_create_and_read_a_return(api, order):
    response = api.post(
        returns_url(order.pk), body(order, 2, destination="wallet", reason_text="Dented"), format="json"
    )

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "requested" and data["destination"] == "wallet" and data["reason"] == "damaged"
    assert data["items"] == [
        {
            "order_item_id": order.items.get().pk,
            "product_title": order.items.get().product_title,
            "sku": order.items.get().sku,
            "quantity": 2,
            "value": "40.00",
        }
    ]
    assert (data["items_value"], data["refund_due"], data["refund_amount"]) == ("40.00", "40.00", None)
    assert api.get(f"/api/v1/returns/{data['id']}/").json() == data
    listing = api.get(returns_url(order.pk)).json()
    assert [r["id"] for r in listing["results"]] == [data["id"]]


def test_destination_defaults_to_the_original_payment(api, order):
    response = api.post(returns_url(order.pk), body(order), format="json")
    assert response.json()["destination"] == "original"


def test_the_list_has_a_constant_query_count(api, order, customer, variant, superuser, django_assert_max_num_queries):
    request_return(order, customer, quantity=1)
    with django_assert_max_num_queries(8) as first:
        api.get(returns_url(order.pk))
    request_return(order, customer, quantity=1)
    with django_assert_max_num_queries(len(first.captured_queries)):
        response = api.get(returns_url(order.pk))
    assert len(response.json()["results"]) == 2


def test_another_customers_order_and_return_are_404(order, customer, other_customer):
    rma = request_return(order, customer)
    other = APIClient()
    other.force_authenticate(other_customer)

    assert other.get(returns_url(order.pk)).status_code == 404
    assert other.post(returns_url(order.pk), body(order), format="json").status_code == 404
    assert other.get(f"/api/v1/returns/{rma.pk}/").status_code == 404
    assert OrderReturn.objects.count() == 1


def test_signed_out_is_401(anonymous_api, order):
    assert anonymous_api.get(returns_url(order.pk)).status_code == 401
    assert anonymous_api.post(returns_url(order.pk), {}, format="json").status_code == 401


def test_not_delivered_is_409(api, customer, variant):
    order = place(customer, variant, 1)
    response = api.post(returns_url(order.pk), body(order), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "return_not_allowed" and response.json()["extra"]["why"] == "not_delivered"


def test_too_many_is_409(api, order):
    response = api.post(returns_url(order.pk), body(order, 3), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "return_quantity_exceeded"
    assert response.json()["extra"]["returnable"] == 2
    assert not OrderReturn.objects.exists()


def test_window_closed_is_409(api, customer, variant, superuser):
    order = delivered_order(customer, variant, superuser, quantity=1, days_ago=40)
    response = api.post(returns_url(order.pk), body(order), format="json")
    assert response.status_code == 409 and response.json()["extra"]["why"] == "window_closed"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"items": [], "reason": "damaged"}, "items"),
        ({"items": [{"order_item_id": "1", "quantity": 1}], "reason": "damaged"}, "items"),
        ({"reason": "damaged"}, "items"),
        ("ITEM", "reason"),
        ("DEST", "destination"),
        ("PRICE", "refund_amount"),
        ("FOREIGN", "items"),
    ],
)
def test_bad_input_is_400_with_field_errors(api, order, customer, variant, superuser, payload, field):
    item_id = order.items.get().pk
    line = {"order_item_id": item_id, "quantity": 1}
    other_item = delivered_order(customer, variant, superuser, quantity=1).items.get().pk
    payload = (
        {
            "ITEM": {"items": [line], "reason": "bored"},
            "DEST": {"items": [line], "reason": "damaged", "destination": "bank"},
            "PRICE": {"items": [line], "reason": "damaged", "refund_amount": "999.00"},
            "FOREIGN": {"items": [{"order_item_id": other_item, "quantity": 1}], "reason": "damaged"},
        }.get(payload, payload)
        if isinstance(payload, str)
        else payload
    )

    response = api.post(returns_url(order.pk), payload, format="json")

    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "validation_error" and field in response.json()["fields"]
    assert not OrderReturn.objects.exists()


def test_the_customer_sees_each_step(api, order, customer, superuser):
    rma = request_return(order, customer, quantity=1)
    return_approve(return_id=rma.pk, actor=superuser, restocking_fee=Decimal("1.50"))
    data = api.get(f"/api/v1/returns/{rma.pk}/").json()
    assert data["status"] == "approved" and data["approved_at"] and data["refund_due"] == "18.50"
    return_reject(return_id=rma.pk, actor=superuser, reason="Not in the box")
    data = api.get(f"/api/v1/returns/{rma.pk}/").json()
    assert (data["status"], data["rejection_reason"]) == ("rejected", "Not in the box")
