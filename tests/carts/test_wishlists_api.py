"""The wishlists API: every endpoint, another customer's lists and items a 404, bad input a 400
with field errors, lists in a constant number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from carts.models import CartItem, CartWishlistTransfer, TransferType, Wishlist, WishlistItem
from carts.wishlists import wishlist_create, wishlist_item_add
from catalog.models import VariantStatus
from tests.factories.commerce import VariantFactory
from tests.orders.conftest import funded_user

pytestmark = pytest.mark.django_db

BASE = "/api/v1/wishlists/"


@pytest.fixture
def api(customer):
    client = APIClient()
    client.force_authenticate(customer)
    return client


def test_not_signed_in_is_401(client):
    assert APIClient().get(BASE).status_code == 401


def test_create_list_get_update_delete(api, customer):
    response = api.post(BASE, {"name": "Birthday", "description": "June", "visibility": "shared"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    wishlist = Wishlist.objects.get(customer=customer)
    assert body["id"] == wishlist.pk
    assert (body["name"], body["is_default"], body["item_count"], body["visibility"]) == ("Birthday", True, 0, "shared")
    assert body["share_url"] == f"http://testserver/wishlists/shared/{wishlist.share_token}/"

    page = api.get(BASE).json()
    assert page["count"] == 1 and page["results"][0]["id"] == wishlist.pk

    response = api.patch(f"{BASE}{wishlist.pk}/", {"visibility": "private", "name": "Gifts"}, format="json")
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["share_url"]) == ("Gifts", None)
    assert api.get(f"{BASE}{wishlist.pk}/").json()["name"] == "Gifts"

    old = wishlist.share_token
    api.patch(f"{BASE}{wishlist.pk}/", {"regenerate_share_link": True}, format="json")
    wishlist.refresh_from_db()
    assert wishlist.share_token != old

    assert api.delete(f"{BASE}{wishlist.pk}/").status_code == 204
    assert api.get(f"{BASE}{wishlist.pk}/").status_code == 404
    assert api.get(BASE).json()["count"] == 0


def test_a_new_default_takes_it_over(api, customer):
    first = api.post(BASE, {"name": "A"}, format="json").json()
    second = api.post(BASE, {"name": "B", "is_default": True}, format="json").json()
    assert second["is_default"]
    assert api.get(f"{BASE}{first['id']}/").json()["is_default"] is False
    response = api.patch(f"{BASE}{second['id']}/", {"is_default": False}, format="json")
    assert response.status_code == 400
    assert "is_default" in response.json()["fields"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "A", "visibility": "everyone"}, "visibility"),
        ({"name": "A", "description": "x" * 1001}, "description"),
        ({"name": "A", "is_default": "maybe"}, "is_default"),
    ],
)
def test_bad_lists_are_400_with_the_field(api, body, field):
    response = api.post(BASE, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not Wishlist.objects.exists()


def test_one_list_too_many_is_400(api, customer, settings):
    settings.WISHLISTS_MAX = 1
    api.post(BASE, {"name": "A"}, format="json")
    response = api.post(BASE, {"name": "B"}, format="json")
    assert response.status_code == 400
    assert "at most 1 wishlists" in response.json()["fields"]["non_field_errors"][0]


def test_items_add_list_update_remove(api, customer, variant):
    wishlist = wishlist_create(user=customer, name="Kitchen")
    url = f"{BASE}{wishlist.pk}/items/"
    response = api.post(url, {"variant_id": variant.pk, "notes": "Blue", "priority": 5}, format="json")
    assert response.status_code == 201, response.json()
    item = response.json()
    assert (item["variant_id"], item["notes"], item["priority"], item["price"], item["available"]) == (
        variant.pk,
        "Blue",
        5,
        "20.00",
        10,
    )
    # The same variant again: the one line, its priority changed.
    again = api.post(url, {"variant_id": variant.pk, "priority": 2}, format="json").json()
    assert (again["id"], again["notes"], again["priority"]) == (item["id"], "Blue", 2)

    listed = api.get(url).json()
    assert [row["id"] for row in listed["results"]] == [item["id"]]
    assert api.get(f"{BASE}{wishlist.pk}/").json()["item_count"] == 1

    response = api.patch(f"{url}{item['id']}/", {"notes": "Size M"}, format="json")
    assert response.status_code == 200 and response.json()["notes"] == "Size M"
    assert api.delete(f"{url}{item['id']}/").status_code == 204
    assert api.get(url).json()["count"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "variant_id"),
        ({"variant_id": "abc"}, "variant_id"),
        ({"variant_id": 10**9}, "variant_id"),
        ({"variant_id": None, "priority": 3}, "variant_id"),
        ("priority", "priority"),
        ("notes", "notes"),
        ("discontinued", "variant_id"),
    ],
)
def test_bad_items_are_400_with_the_field(api, customer, variant, body, field):
    wishlist = wishlist_create(user=customer, name="Kitchen")
    if body == "priority":
        body = {"variant_id": variant.pk, "priority": 6}
    elif body == "notes":
        body = {"variant_id": variant.pk, "notes": "x" * 501}
    elif body == "discontinued":
        body = {"variant_id": VariantFactory(status=VariantStatus.DISCONTINUED).pk}
    response = api.post(f"{BASE}{wishlist.pk}/items/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not WishlistItem.objects.exists()


def test_a_bad_item_update_is_400(api, customer, variant):
    item = wishlist_item_add(user=customer, variant_id=variant.pk)
    url = f"{BASE}{item.wishlist_id}/items/{item.pk}/"
    for body in ({"priority": 0}, {"priority": "high"}, {"notes": 5 * "long" * 200}):
        response = api.patch(url, body, format="json")
        assert response.status_code == 400, body
    item.refresh_from_db()
    assert item.priority == 3


def test_move_to_cart_is_201_with_the_cart_line(api, customer, variant):
    item = wishlist_item_add(user=customer, variant_id=variant.pk)
    url = f"{BASE}{item.wishlist_id}/items/{item.pk}/move-to-cart/"
    response = api.post(url, {"quantity": 3}, format="json")
    assert response.status_code == 201, response.json()
    line = CartItem.objects.get(cart__customer=customer)
    assert response.json() == {
        "id": line.pk,
        "variant_id": variant.pk,
        "quantity": 3,
        "unit_price": "20.00",
        "total_price": "60.00",
    }
    assert CartWishlistTransfer.objects.get().transfer_type == TransferType.WISHLIST_TO_CART
    assert line.cart.device_type == "app"
    # Moved: a second time finds nothing.
    assert api.post(url, {}, format="json").status_code == 404


def test_move_to_cart_refused_keeps_the_item(api, customer):
    variant = VariantFactory()
    item = wishlist_item_add(user=customer, variant_id=variant.pk)
    url = f"{BASE}{item.wishlist_id}/items/{item.pk}/move-to-cart/"
    assert api.post(url, {"quantity": 0}, format="json").json()["fields"].keys() == {"quantity"}
    variant.status = VariantStatus.DISCONTINUED
    variant.save(update_fields=["status"])
    response = api.post(url, {"quantity": 1}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "cart_item_invalid")
    assert WishlistItem.objects.filter(pk=item.pk).exists()
    assert not CartItem.objects.exists()


def test_another_customers_lists_and_items_are_404(api, variant):
    other = funded_user()
    item = wishlist_item_add(user=other, variant_id=variant.pk, notes="theirs")
    pk = item.wishlist_id
    calls = [
        ("get", f"{BASE}{pk}/", None),
        ("patch", f"{BASE}{pk}/", {"name": "x" * 500}),  # a 404 before any 400
        ("delete", f"{BASE}{pk}/", None),
        ("get", f"{BASE}{pk}/items/", None),
        ("post", f"{BASE}{pk}/items/", {"variant_id": variant.pk}),
        ("patch", f"{BASE}{pk}/items/{item.pk}/", {"priority": 1}),
        ("delete", f"{BASE}{pk}/items/{item.pk}/", None),
        ("post", f"{BASE}{pk}/items/{item.pk}/move-to-cart/", {"quantity": 1}),
    ]
    for method, url, body in calls:
        response = getattr(api, method)(url, body, format="json")
        assert response.status_code == 404, (method, url)
        assert response.json()["code"] == "not_found"
    assert api.get(BASE).json()["count"] == 0
    item.refresh_from_db()
    assert (item.deleted_at, item.notes, item.priority) == (None, "theirs", 3)
    assert not CartItem.objects.exists()


def test_an_item_of_another_list_of_mine_is_404_under_this_one(api, customer, variant):
    item = wishlist_item_add(user=customer, variant_id=variant.pk)
    other_list = wishlist_create(user=customer, name="Other")
    assert api.patch(f"{BASE}{other_list.pk}/items/{item.pk}/", {"priority": 1}, format="json").status_code == 404
    assert api.delete(f"{BASE}{other_list.pk}/items/{item.pk}/").status_code == 404


def test_the_lists_are_read_in_constant_queries(api, customer):
    def queries_for(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(url).status_code == 200
        return len(ctx.captured_queries)

    wishlist = wishlist_create(user=customer, name="L0")
    wishlist_item_add(user=customer, wishlist_id=wishlist.pk, variant_id=VariantFactory().pk)
    few_lists, few_items = queries_for(BASE), queries_for(f"{BASE}{wishlist.pk}/items/")
    for n in range(1, 5):
        wishlist_create(user=customer, name=f"L{n}")
        wishlist_item_add(user=customer, wishlist_id=wishlist.pk, variant_id=VariantFactory().pk)
    assert queries_for(BASE) == few_lists == 2  # the count, the page
    assert queries_for(f"{BASE}{wishlist.pk}/items/") == few_items == 3  # the list, the count, the page


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "A", "is_default": 0}, "is_default"),
        ({"name": 5}, "name"),
        ({"name": "A", "visibility": 1}, "visibility"),
    ],
)
def test_json_of_the_wrong_type_is_400_not_converted(api, body, field):
    response = api.post(BASE, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not Wishlist.objects.exists()
