"""The carts demo data: the demo customer's wishlists and saved cart, made once."""

from decimal import Decimal
from io import StringIO

import pytest

from accounts import demo as accounts_demo
from carts import demo
from carts.models import Cart, CartStatus, SavedCart, Wishlist, WishlistVisibility
from tests.factories.commerce import VariantFactory

pytestmark = pytest.mark.django_db


def test_seed_makes_two_wishlists_and_a_saved_cart_once():
    accounts_demo.seed(StringIO())
    for n in range(5):
        VariantFactory(price=Decimal(f"{n + 5}.00"), stock=20)

    demo.seed(StringIO())
    demo.seed(StringIO())  # a rerun adds nothing

    lists = {w.name: w for w in Wishlist.objects.all()}
    assert set(lists) == {"My wishlist", "Gift ideas"}
    assert lists["My wishlist"].is_default and lists["My wishlist"].items.count() == 2
    assert lists["Gift ideas"].visibility == WishlistVisibility.SHARED
    saved = SavedCart.objects.get()
    assert saved.name == "Office supplies" and saved.cart.items.count() == 2
    active = Cart.objects.get(customer=saved.customer, status=CartStatus.ACTIVE)
    assert active.items.count() == 0
