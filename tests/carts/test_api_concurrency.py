"""The cart API's checkout under real concurrency (threads, each with its own PostgreSQL
connection): the same Idempotency-Key twice at once makes one order and takes the stock once; a
double submit without a key finds the cart empty the second time."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from carts.models import Cart, CartStatus
from carts.services import cart_add_item
from inventory.models import ChangeType, InventoryHistory, InventoryItem
from orders.models import Order
from payments.models import Wallet
from tests.factories.commerce import VariantFactory
from tests.orders.conftest import funded_user
from tests.orders.test_concurrency import race
from tests.security.world import access_token

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

CHECKOUT = reverse("orders_api:cart-checkout")


def _checkout(token: str, key: str | None):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    response = client.post(CHECKOUT, {}, format="json", **headers)
    return response.status_code, response.json(), response.get("Idempotent-Replayed")


def _setup():
    customer = funded_user("500.00")
    variant = VariantFactory(stock=20)
    cart_add_item(user=customer, variant_id=variant.pk, quantity=3)
    return customer, variant, Wallet.objects.get(user=customer).balance


def test_two_checkouts_with_the_same_key_at_once_make_one_order_and_take_the_stock_once():
    customer, variant, balance = _setup()
    token = access_token(customer)

    outcomes = race([lambda: _checkout(token, "double-tap")] * 2, workers=2)

    assert sorted(status for status, _body, _replayed in outcomes) == [200, 201], outcomes
    assert len({body["id"] for _status, body, _replayed in outcomes}) == 1
    assert [replayed for status, _body, replayed in outcomes if status == 200] == ["true"]
    order = Order.objects.get(customer=customer)
    assert InventoryItem.objects.get(variant=variant).quantity == 17
    sales = InventoryHistory.objects.filter(inventory_item__variant=variant, change_type=ChangeType.SALE)
    assert list(sales.values_list("quantity_delta", flat=True)) == [-3]
    assert Wallet.objects.get(user=customer).balance == balance - order.total_amount
    assert Cart.objects.get(customer=customer).status == CartStatus.COMPLETED


def test_a_double_submit_without_a_key_orders_once_and_the_second_finds_the_cart_empty():
    customer, variant, _balance = _setup()
    token = access_token(customer)

    outcomes = race([lambda: _checkout(token, None)] * 2, workers=2)

    statuses = sorted((status, body.get("code")) for status, body, _replayed in outcomes)
    assert statuses == [(201, None), (400, "cart_empty")], outcomes
    assert Order.objects.filter(customer=customer).count() == 1
    assert InventoryItem.objects.get(variant=variant).quantity == 17
