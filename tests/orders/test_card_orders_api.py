"""The API of card orders: POST orders/ with `payment_method`."""

import pytest
from django.urls import reverse

from inventory.models import InventoryItem
from orders.models import Order

pytestmark = pytest.mark.django_db


def test_an_order_by_card_is_placed_pending(api, variant):
    response = api.post(
        reverse("orders_api:order-list"),
        {"items": [{"variant_id": variant.pk, "quantity": 2}], "payment_method": "card"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["paid_at"]) == ("pending", None)
    assert InventoryItem.objects.get(variant=variant).available_quantity == 8


def test_without_a_payment_method_the_wallet_pays_as_before(api, variant):
    response = api.post(
        reverse("orders_api:order-list"), {"items": [{"variant_id": variant.pk, "quantity": 1}]}, format="json"
    )

    assert response.status_code == 201 and response.json()["status"] == "paid"


@pytest.mark.parametrize("bad", ["cheque", "", None, 1, ["card"]])
def test_an_unknown_payment_method_is_a_field_error(api, variant, bad):
    response = api.post(
        reverse("orders_api:order-list"),
        {"items": [{"variant_id": variant.pk, "quantity": 1}], "payment_method": bad},
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error" and "payment_method" in body["fields"]
    assert not Order.objects.exists()
