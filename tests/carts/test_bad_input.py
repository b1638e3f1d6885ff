"""Bad input on every carts page form (cart lines, wishlists, saved carts, the recovery link): a
form error, a message or a 404, never a server error, and nothing of the customer's changed."""

import pytest
from django.urls import reverse

from carts.models import CartItem, SavedCart, Wishlist, WishlistItem
from carts.saved import saved_cart_create
from carts.services import cart_add_item
from carts.wishlists import wishlist_item_add

pytestmark = pytest.mark.django_db

GARBAGE = [
    {},
    {"quantity": "abc", "priority": "x", "name": "", "variant_id": "1.5"},
    {"quantity": "-4", "priority": "0", "name": " ", "variant_id": "-1", "wishlist_id": "-7"},
    {"quantity": "99999999999999999999", "priority": "6", "variant_id": "99999999999999999999"},
    {"name": "n" * 5000, "description": "d" * 50_000, "notes": "x" * 50_000, "visibility": "everyone"},
    {"name": "bad\x00name", "notes": "nul\x00", "is_default": "maybe", "quantity": "1e3"},
]


@pytest.fixture
def owned(customer, variant):
    line = cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    wished = wishlist_item_add(user=customer, variant_id=variant.pk, notes="mine", priority=4)
    saved = saved_cart_create(user=customer, name="Later")
    return line, wished, saved


def _state():
    return (
        sorted(CartItem.all_objects.values_list("pk", "quantity", "deleted_at")),
        sorted(Wishlist.all_objects.values_list("pk", "name", "visibility", "is_default", "deleted_at")),
        sorted(WishlistItem.all_objects.values_list("pk", "notes", "priority", "deleted_at")),
        sorted(SavedCart.objects.values_list("pk", "name", "description")),
    )


def _write_urls(line, wished, saved):
    wishlist = wished.wishlist_id
    return [
        reverse("carts:add"),
        reverse("carts:item_update", args=[line.pk]),
        reverse("carts:saved_create"),
        reverse("wishlists:list"),
        reverse("wishlists:add"),
        reverse("wishlists:detail", args=[wishlist]),
        reverse("wishlists:item_update", args=[wishlist, wished.pk]),
        reverse("wishlists:item_move_to_cart", args=[wishlist, wished.pk]),
    ]


@pytest.mark.parametrize("body", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_in_any_carts_form_is_refused_and_changes_nothing(shopper, owned, body):
    before = _state()
    for url in _write_urls(*owned):
        response = shopper.post(url, body, HTTP_REFERER="/cart/")
        assert response.status_code in (200, 302, 400, 404), (url, response.status_code)
    assert _state() == before


@pytest.mark.parametrize(
    "url",
    ["/cart/recover/not-a-token/", "/cart/recover/" + "A" * 600 + "/", "/wishlists/shared/" + "z" * 43 + "/"],
)
def test_a_forged_link_is_a_404(shopper, url):
    assert shopper.get(url).status_code == 404
