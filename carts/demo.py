"""Demo data for `manage.py seed_demo`: the demo customer's wishlists (a private default list and
a gift list shared by link) and a saved cart, made through the services. Idempotent: a customer
who has a wishlist already is left alone."""

from typing import Any

from django.contrib.auth import get_user_model

from accounts.demo import CUSTOMER_EMAIL as DEMO_CUSTOMER_EMAIL
from catalog.models import ProductVariant

from .models import Wishlist, WishlistVisibility
from .saved import cart_clear, saved_cart_create
from .services import cart_add_item
from .wishlists import wishlist_create, wishlist_item_add


def seed(stdout: Any) -> None:
    user = get_user_model().objects.filter(email=DEMO_CUSTOMER_EMAIL).first()
    if user is None:
        stdout.write(f"carts: no {DEMO_CUSTOMER_EMAIL} yet, no wishlists")
        return
    if Wishlist.objects.filter(customer=user).exists():
        stdout.write(f"carts: {DEMO_CUSTOMER_EMAIL} has wishlists already")
        return
    variants = list(ProductVariant.objects.orderable().order_by("pk")[:5])
    if len(variants) < 5:
        stdout.write("carts: too few products for the demo wishlists")
        return
    mine = wishlist_create(user=user, name="My wishlist")
    wishlist_item_add(user=user, wishlist_id=mine.pk, variant_id=variants[0].pk, notes="When it is back", priority=5)
    wishlist_item_add(user=user, wishlist_id=mine.pk, variant_id=variants[1].pk, priority=2)
    gifts = wishlist_create(
        user=user, name="Gift ideas", description="For the holidays", visibility=WishlistVisibility.SHARED
    )
    wishlist_item_add(user=user, wishlist_id=gifts.pk, variant_id=variants[2].pk, notes="Blue, size M", priority=4)
    # A saved cart, then the cart emptied again: the demo customer's cart is theirs to fill.
    for variant in variants[3:5]:
        cart_add_item(user=user, variant_id=variant.pk, quantity=1)
    saved_cart_create(user=user, name="Office supplies", description="Reorder every quarter")
    cart_clear(user=user)
    stdout.write(f"carts: {DEMO_CUSTOMER_EMAIL} has two wishlists (one shared) and a saved cart")
