"""Wishlists under real concurrency (threads, each with its own PostgreSQL connection): one
default whatever order "make default" comes in, a double-clicked "Move to cart" moves once, and
parallel first lists make one default."""

import pytest

from carts.models import CartItem, CartWishlistTransfer, Wishlist, WishlistItem
from carts.wishlists import (
    wishlist_create,
    wishlist_default_of,
    wishlist_item_add,
    wishlist_item_move_to_cart,
    wishlist_update,
)
from common.exceptions import NotFoundError
from tests.factories.commerce import VariantFactory
from tests.orders.conftest import funded_user
from tests.orders.test_concurrency import race

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def test_concurrent_make_default_leaves_exactly_one_default():
    customer = funded_user()
    lists = [wishlist_create(user=customer, name=f"L{n}") for n in range(6)]

    outcomes = race(
        [lambda w=w: wishlist_update(user=customer, wishlist_id=w.pk, is_default=True) for w in lists] * 2, workers=12
    )

    assert [o for o in outcomes if isinstance(o, Exception)] == []
    assert Wishlist.objects.filter(customer=customer, is_default=True).count() == 1


def test_a_double_clicked_move_to_cart_moves_once():
    customer = funded_user()
    variant = VariantFactory(stock=50)
    item = wishlist_item_add(user=customer, variant_id=variant.pk)

    outcomes = race(
        [lambda: wishlist_item_move_to_cart(user=customer, wishlist_id=item.wishlist_id, item_id=item.pk, quantity=2)]
        * 8,
        workers=8,
    )

    moved = [o for o in outcomes if isinstance(o, CartItem)]
    assert len(moved) == 1, outcomes
    assert all(isinstance(o, NotFoundError) for o in outcomes if o not in moved), outcomes
    assert CartItem.objects.get(cart__customer=customer).quantity == 2
    assert CartWishlistTransfer.objects.count() == 1
    assert not WishlistItem.objects.exists()


def test_parallel_first_lists_make_one_default():
    customer = funded_user()

    outcomes = race(
        [lambda n=n: wishlist_create(user=customer, name=f"L{n}") for n in range(6)]
        + [lambda: wishlist_default_of(customer)] * 4,
        workers=10,
    )

    assert [o for o in outcomes if isinstance(o, Exception)] == []
    assert Wishlist.objects.filter(customer=customer, is_default=True).count() == 1
