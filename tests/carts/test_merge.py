"""A guest's cart goes into the customer's as they sign in (or sign up, then in): quantities add,
capped by the stock and the limits, both carts kept first, the guest's cart closed; the shopper
is told what did not fit, by name."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from carts.models import Cart, CartItem, CartSnapshot, CartStatus, SnapshotType
from carts.request import GUEST_SESSION_KEY
from carts.services import cart_add_item, cart_merge
from inventory.models import InventoryItem
from orders.exceptions import ProductUnavailableError
from orders.services import order_place_from_cart
from tests.factories.accounts import DEFAULT_PASSWORD, GuestFactory
from tests.factories.commerce import VariantFactory

pytestmark = pytest.mark.django_db


def units(user) -> dict[str, int]:
    return {
        item.variant.product.title: item.quantity
        for item in CartItem.objects.filter(cart__customer=user, cart__status=CartStatus.ACTIVE).select_related(
            "variant__product"
        )
    }


def test_quantities_add_and_what_does_not_fit_is_named(customer, variant):
    guest = GuestFactory()
    cup = VariantFactory(stock=5, product__title="Green cup")
    bowl = VariantFactory(stock=5, product__title="Red bowl")
    cart_add_item(user=customer, variant_id=variant.pk, quantity=6)
    cart_add_item(user=customer, variant_id=cup.pk, quantity=1)
    cart_add_item(guest=guest, variant_id=variant.pk, quantity=7)  # 6 + 7 > 10 in stock
    cart_add_item(guest=guest, variant_id=cup.pk, quantity=2)
    cart_add_item(guest=guest, variant_id=bowl.pk, quantity=1)
    InventoryItem.objects.filter(variant=bowl).update(quantity=0)  # sold out since

    result = cart_merge(guest=guest, user=customer)

    assert units(customer) == {"Blue teapot": 10, "Green cup": 3}
    assert result.capped == [("Blue teapot", 10)] and result.not_added == ["Red bowl"] and result.added == 6
    guest_cart = Cart.objects.get(guest=guest)
    assert guest_cart.status == CartStatus.MERGED
    customer_cart = Cart.objects.get(customer=customer, status=CartStatus.ACTIVE)
    assert customer_cart.total_amount == Decimal("20.00") * 10 + cup.price * 3
    # Both carts kept as they were before.
    snapshots = {s.cart_id: s for s in CartSnapshot.objects.filter(snapshot_type=SnapshotType.BEFORE_MERGE)}
    assert set(snapshots) == {guest_cart.pk, customer_cart.pk}
    assert snapshots[guest_cart.pk].item_count == 10 and snapshots[customer_cart.pk].item_count == 7

    # Again: the guest's cart is no longer active, nothing changes.
    again = cart_merge(guest=guest, user=customer)
    assert not again.merged and units(customer) == {"Blue teapot": 10, "Green cup": 3}
    assert CartSnapshot.objects.filter(snapshot_type=SnapshotType.BEFORE_MERGE).count() == 2


def test_a_customer_without_a_cart_gets_the_guests_lines(customer, variant):
    guest = GuestFactory()
    cart_add_item(guest=guest, variant_id=variant.pk, quantity=2)
    result = cart_merge(guest=guest, user=customer)
    assert result.merged and result.capped == [] and units(customer) == {"Blue teapot": 2}


def test_the_per_line_and_the_lines_limits_cap_the_merge(customer, variant, settings):
    settings.ORDER_MAX_LINE_QUANTITY = 8
    guest = GuestFactory()
    cart_add_item(user=customer, variant_id=variant.pk, quantity=5)
    cart_add_item(guest=guest, variant_id=variant.pk, quantity=5)
    extra = VariantFactory(stock=5, product__title="Green cup")
    cart_add_item(guest=guest, variant_id=extra.pk, quantity=1)
    settings.ORDER_MAX_LINES = 1

    result = cart_merge(guest=guest, user=customer)

    assert units(customer) == {"Blue teapot": 8}
    assert result.capped == [("Blue teapot", 8)] and result.not_added == ["Green cup"]


def test_a_guest_cannot_add_to_a_cart_that_was_merged(customer, variant):
    from carts.exceptions import CartMergedError

    guest = GuestFactory()
    cart_add_item(guest=guest, variant_id=variant.pk, quantity=1)
    cart_merge(guest=guest, user=customer)
    with pytest.raises(CartMergedError):
        cart_add_item(guest=guest, variant_id=variant.pk, quantity=1)
    assert units(customer) == {"Blue teapot": 1}


def guest_with_cart(variant, quantity: int) -> Client:
    client = Client()
    page = reverse("catalog:product_detail", args=[variant.product_id])
    client.post(reverse("carts:add"), {"variant_id": variant.pk, "quantity": quantity, "next": page})
    return client


def test_signing_in_from_the_cart_merges_and_comes_back_to_it(customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=8)
    client = guest_with_cart(variant, 4)

    login = client.get(reverse("carts:detail")).content.decode()
    assert f"{reverse('accounts:login')}?next=/cart/" in login
    response = client.post(
        reverse("accounts:login") + "?next=/cart/",
        {"username": customer.email, "password": DEFAULT_PASSWORD, "next": "/cart/"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("carts:detail")
    html = response.content.decode()
    assert "Not all of these fit in your cart: Blue teapot (10 kept)." in html
    assert "Total for 10 items" in html and f'action="{reverse("orders:checkout")}"' in html
    assert GUEST_SESSION_KEY not in client.session
    assert units(customer) == {"Blue teapot": 10}
    assert CartSnapshot.objects.filter(snapshot_type=SnapshotType.BEFORE_MERGE).count() == 2


def test_signing_up_from_the_cart_keeps_it_through_to_the_first_sign_in(variant):
    client = guest_with_cart(variant, 3)
    signup = client.get(reverse("accounts:signup") + "?next=/cart/").content.decode()
    assert 'name="next" value="/cart/"' in signup

    password = "a-long-and-unusual-passphrase"
    form = {
        "email": "new@example.com",
        "first_name": "New",
        "last_name": "Shopper",
        "password1": password,
        "password2": password,
        "next": "/cart/",
    }
    response = client.post(reverse("accounts:signup"), form)
    assert response["Location"] == reverse("accounts:login") + "?next=%2Fcart%2F"
    response = client.post(
        response["Location"], {"username": "new@example.com", "password": password, "next": "/cart/"}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("carts:detail")
    assert "Total for 3 items" in response.content.decode()
    assert units(User.objects.get(email="new@example.com")) == {"Blue teapot": 3}


def test_an_off_site_next_is_dropped_on_sign_up(client):
    response = client.get(reverse("accounts:signup") + "?next=https://evil.example/")
    assert "evil.example" not in response.content.decode()


def test_checkout_names_what_it_cannot_serve(customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=3)
    InventoryItem.objects.filter(variant=variant).update(quantity=2)
    from inventory.exceptions import InsufficientStockError

    with pytest.raises(InsufficientStockError) as caught:
        order_place_from_cart(user=customer, idempotency_key="k")
    assert str(caught.value.message) == "Only 2 left of Blue teapot (Standard)."
    assert caught.value.extra == {"variant_id": variant.pk, "available": 2, "requested": 3}

    InventoryItem.objects.filter(variant=variant).update(quantity=0)
    with pytest.raises(InsufficientStockError, match=re.escape("Blue teapot (Standard) is sold out.")):
        order_place_from_cart(user=customer, idempotency_key="k2")

    variant.product.status = "draft"
    variant.product.save(update_fields=["status"])
    with pytest.raises(ProductUnavailableError, match=re.escape("No longer for sale: Blue teapot.")):
        order_place_from_cart(user=customer, idempotency_key="k3")


def test_the_cart_page_shows_checkouts_refusal_by_name(shopper, customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=3)
    InventoryItem.objects.filter(variant=variant).update(quantity=1)
    response = shopper.post(
        reverse("orders:checkout"), {"idempotency_key": "a" * 32, "next": reverse("carts:detail")}, follow=True
    )
    html = response.content.decode()
    assert "Only 1 left of Blue teapot (Standard)." in html
    assert 'class="stock-problem"' in html  # and the line is flagged
