"""Saved carts and emptying the cart, through the services: a save copies the cart and leaves it
be; a restore adds the lines at today's prices, capped by stock and the limits, leaving out what
is no longer for sale; expiry removes each saved cart once, even run twice at once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from carts.exceptions import NothingToSaveError, SavedCartInvalidError, SavedCartsLimitError
from carts.models import Cart, CartItem, CartSnapshot, CartStatus, SavedCart, SnapshotType
from carts.saved import (
    cart_clear,
    saved_cart_create,
    saved_cart_delete,
    saved_cart_restore,
    saved_carts_expire,
)
from carts.selectors import active_carts, cart_for_page, cart_item_count
from carts.services import cart_add_item, cart_item_remove
from catalog.models import ProductStatus
from common.exceptions import NotFoundError
from inventory.models import InventoryItem
from orders.services import order_place_from_cart
from tests.factories.accounts import GuestFactory
from tests.factories.commerce import VariantFactory
from tests.orders.conftest import funded_user

pytestmark = pytest.mark.django_db


def set_stock(variant, units: int) -> None:
    InventoryItem.objects.filter(variant=variant).update(quantity=units, reserved_quantity=0)


def active_lines(user) -> dict[int, tuple[int, Decimal]]:
    return {
        item.variant_id: (item.quantity, item.unit_price)
        for item in CartItem.objects.filter(cart__in=active_carts(user=user))
    }


@pytest.fixture
def saved(customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=3)
    return saved_cart_create(user=customer, name="Birthday", description="For May")


# --- saving ---------------------------------------------------------------------------------------


def test_saving_copies_the_cart_and_leaves_it_as_it_is(customer, variant):
    other = VariantFactory(price=Decimal("5.00"))
    cart_add_item(user=customer, variant_id=variant.pk, quantity=3)
    cart_add_item(user=customer, variant_id=other.pk, quantity=1)
    active = active_carts(user=customer).get()

    saved = saved_cart_create(user=customer, name="  Birthday  ", description="For May")

    assert (saved.name, saved.description, saved.customer) == ("Birthday", "For May", customer)
    copy = saved.cart
    assert copy.pk != active.pk and copy.status == CartStatus.SAVED and copy.customer == customer
    assert sorted(copy.items.values_list("variant_id", "quantity", "unit_price")) == sorted(
        [(variant.pk, 3, Decimal("20.00")), (other.pk, 1, Decimal("5.00"))]
    )
    assert copy.total_amount == Decimal("65.00")
    expected_expiry = saved.saved_at + timedelta(days=90)
    assert saved.expires_at == expected_expiry
    # The active cart is untouched, still the one the page and the header read.
    assert active_lines(customer) == {variant.pk: (3, Decimal("20.00")), other.pk: (1, Decimal("5.00"))}
    assert cart_for_page(user=customer).cart.pk == active.pk
    assert cart_item_count(user=customer) == 4
    snapshot = CartSnapshot.objects.get(snapshot_type=SnapshotType.SAVED)
    assert snapshot.cart_id == active.pk and snapshot.item_count == 4


def test_a_saved_copy_is_never_taken_for_the_active_cart(customer, variant, saved):
    # The active cart is checked out: the next add starts a new cart, not the saved copy.
    order_place_from_cart(user=customer, idempotency_key="k1")
    assert not active_carts(user=customer).exists()
    assert cart_for_page(user=customer).cart is None
    cart_add_item(user=customer, variant_id=variant.pk, quantity=1)
    active = active_carts(user=customer).get()
    assert active.pk != saved.cart_id
    saved.cart.refresh_from_db()
    assert saved.cart.status == CartStatus.SAVED and saved.cart.items.get().quantity == 3


def test_saving_takes_the_price_of_today(customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=1)
    variant.price = Decimal("25.00")
    variant.save(update_fields=["price"])
    saved = saved_cart_create(user=customer, name="Later")
    assert saved.cart.items.get().unit_price == Decimal("25.00")
    assert saved.cart.total_amount == Decimal("25.00")


def test_an_empty_cart_cannot_be_saved(customer, variant):
    with pytest.raises(NothingToSaveError, match="nothing to save"):
        saved_cart_create(user=customer, name="Nothing")
    item = cart_add_item(user=customer, variant_id=variant.pk, quantity=1)
    cart_item_remove(user=customer, item_id=item.pk)
    with pytest.raises(NothingToSaveError):
        saved_cart_create(user=customer, name="Nothing")
    assert not SavedCart.objects.exists()


@pytest.mark.parametrize(
    ("name", "description", "message"),
    [
        ("", "", "Give the saved cart a name"),
        ("   ", "", "Give the saved cart a name"),
        ("x" * 101, "", "at most 100 characters"),
        ("Fine", "d" * 1001, "at most 1000 characters"),
        (None, "", "as text"),
        ("nul\x00", "", "as text"),
    ],
)
def test_a_bad_name_or_description_is_refused(customer, variant, name, description, message):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=1)
    with pytest.raises(SavedCartInvalidError, match=message):
        saved_cart_create(user=customer, name=name, description=description)
    assert not SavedCart.objects.exists() and not Cart.objects.filter(status=CartStatus.SAVED).exists()


@override_settings(SAVED_CARTS_MAX=2)
def test_at_most_saved_carts_max(customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=1)
    saved_cart_create(user=customer, name="One")
    last = saved_cart_create(user=customer, name="Two")
    with pytest.raises(SavedCartsLimitError, match="at most 2 saved carts"):
        saved_cart_create(user=customer, name="Three")
    # An expired one no longer counts.
    SavedCart.objects.filter(pk=last.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    saved_cart_create(user=customer, name="Three")
    assert SavedCart.objects.filter(customer=customer).count() == 3


# --- restoring ------------------------------------------------------------------------------------


def test_restoring_adds_the_lines_at_todays_prices(customer, variant, saved):
    cart_clear(user=customer)
    variant.price = Decimal("18.50")
    variant.save(update_fields=["price"])

    result = saved_cart_restore(user=customer, saved_cart_id=saved.pk)

    assert [(line.title, line.quantity) for line in result.restored] == [("Blue teapot (Standard)", 3)]
    assert result.capped == [] and result.skipped == [] and result.item_count == 3
    assert active_lines(customer) == {variant.pk: (3, Decimal("18.50"))}
    assert active_carts(user=customer).get().total_amount == Decimal("55.50")
    # The saved cart stays, as it was, and can be restored again: quantities add.
    assert SavedCart.objects.filter(pk=saved.pk).exists()
    assert saved.cart.items.get().unit_price == Decimal("20.00")
    again = saved_cart_restore(user=customer, saved_cart_id=saved.pk)
    assert again.item_count == 6 and active_lines(customer) == {variant.pk: (6, Decimal("18.50"))}


def test_restoring_makes_an_active_cart_when_there_is_none(customer, variant, saved):
    order_place_from_cart(user=customer, idempotency_key="k1")
    assert not active_carts(user=customer).exists()
    result = saved_cart_restore(user=customer, saved_cart_id=saved.pk)
    assert result.cart.status == CartStatus.ACTIVE and result.cart.pk != saved.cart_id
    assert active_lines(customer) == {variant.pk: (3, Decimal("20.00"))}


def test_restoring_is_capped_by_the_stock_available(customer, variant, saved):
    # The cart holds 3 already; 3 more are asked, 4 are in stock: the line holds 4.
    set_stock(variant, 4)
    result = saved_cart_restore(user=customer, saved_cart_id=saved.pk)
    assert result.restored == [] and [(c.title, c.quantity) for c in result.capped] == [("Blue teapot (Standard)", 4)]
    assert active_lines(customer) == {variant.pk: (4, Decimal("20.00"))}

    # Sold out: nothing added, nothing taken away.
    set_stock(variant, 0)
    result = saved_cart_restore(user=customer, saved_cart_id=saved.pk)
    assert [(c.title, c.quantity) for c in result.capped] == [("Blue teapot (Standard)", 4)]
    assert active_lines(customer) == {variant.pk: (4, Decimal("20.00"))}


@override_settings(ORDER_MAX_LINE_QUANTITY=5)
def test_restoring_is_capped_by_the_line_limit(customer, variant, saved):
    result = saved_cart_restore(user=customer, saved_cart_id=saved.pk)
    assert [(c.title, c.quantity) for c in result.capped] == [("Blue teapot (Standard)", 5)]
    assert active_lines(customer)[variant.pk][0] == 5


def test_restoring_leaves_out_what_is_no_longer_for_sale(customer, variant):
    gone = VariantFactory(price=Decimal("3.00"), product__title="Old mug")
    cart_add_item(user=customer, variant_id=variant.pk, quantity=1)
    cart_add_item(user=customer, variant_id=gone.pk, quantity=2)
    saved = saved_cart_create(user=customer, name="Mixed")
    cart_clear(user=customer)
    gone.product.status = ProductStatus.DISCONTINUED
    gone.product.save(update_fields=["status"])

    result = saved_cart_restore(user=customer, saved_cart_id=saved.pk)

    assert [(s.title, s.reason) for s in result.skipped] == [("Old mug (Standard)", "unavailable")]
    assert [r.title for r in result.restored] == ["Blue teapot (Standard)"]
    assert active_lines(customer) == {variant.pk: (1, Decimal("20.00"))}


@override_settings(ORDER_MAX_LINES=1)
def test_restoring_into_a_full_cart_leaves_new_lines_out(customer, variant, saved):
    cart_clear(user=customer)
    cart_add_item(user=customer, variant_id=VariantFactory().pk, quantity=1)
    result = saved_cart_restore(user=customer, saved_cart_id=saved.pk)
    assert [(s.title, s.reason) for s in result.skipped] == [("Blue teapot (Standard)", "cart_full")]
    assert variant.pk not in active_lines(customer)


def test_an_expired_saved_cart_is_not_restorable(customer, saved):
    SavedCart.objects.filter(pk=saved.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(NotFoundError):
        saved_cart_restore(user=customer, saved_cart_id=saved.pk)


def test_another_customers_saved_cart_is_not_found(customer, saved):
    other = funded_user()
    for call in (saved_cart_restore, saved_cart_delete):
        with pytest.raises(NotFoundError):
            call(user=other, saved_cart_id=saved.pk)
    assert not CartItem.objects.filter(cart__customer=other).exists()
    assert SavedCart.objects.filter(pk=saved.pk).exists()


@pytest.mark.parametrize("bad", [0, -1, 2**63, "1", None, True])
def test_a_nonsense_id_is_not_found(customer, saved, bad):
    with pytest.raises(NotFoundError):
        saved_cart_restore(user=customer, saved_cart_id=bad)


# --- deleting and expiring ------------------------------------------------------------------------


def test_deleting_removes_the_saved_cart_and_hides_its_copy(customer, saved):
    saved_cart_delete(user=customer, saved_cart_id=saved.pk)
    assert not SavedCart.objects.exists()
    assert Cart.all_objects.get(pk=saved.cart_id).deleted_at is not None
    with pytest.raises(NotFoundError):
        saved_cart_delete(user=customer, saved_cart_id=saved.pk)


def test_expiry_removes_only_expired_saved_carts_once(customer, variant, saved):
    fresh = saved_cart_create(user=customer, name="Fresh")
    SavedCart.objects.filter(pk=saved.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    assert saved_carts_expire() == 1
    assert saved_carts_expire() == 0

    assert list(SavedCart.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert Cart.all_objects.get(pk=saved.cart_id).deleted_at is not None
    assert Cart.objects.filter(pk=fresh.cart_id).exists()
    # The active cart is not the task's business.
    assert active_lines(customer) == {variant.pk: (3, Decimal("20.00"))}


# --- emptying the cart ----------------------------------------------------------------------------


def test_emptying_the_cart_snapshots_it_first(customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    cart = active_carts(user=customer).get()

    assert cart_clear(user=customer) == 1

    snapshot = CartSnapshot.objects.get(cart=cart)
    assert snapshot.snapshot_type == SnapshotType.BEFORE_CLEARING
    assert snapshot.item_count == 2 and snapshot.total_amount == Decimal("40.00")
    assert [line["quantity"] for line in snapshot.snapshot_data["lines"]] == [2]
    cart.refresh_from_db()
    assert cart.total_amount == Decimal("0.00") and cart.status == CartStatus.ACTIVE
    assert not cart.items.exists() and CartItem.all_objects.get(cart=cart).deleted_at is not None
    assert cart_item_count(user=customer) == 0


def test_emptying_an_empty_cart_does_nothing(customer):
    assert cart_clear(user=customer) == 0
    assert not CartSnapshot.objects.exists()


def test_emptying_a_guests_cart(variant):
    guest = GuestFactory()
    cart_add_item(guest=guest, variant_id=variant.pk, quantity=1)
    assert cart_clear(guest=guest) == 1
    assert CartSnapshot.objects.get().snapshot_type == SnapshotType.BEFORE_CLEARING
    assert cart_item_count(guest=guest) == 0


def test_emptying_leaves_saved_carts_alone(customer, saved):
    cart_clear(user=customer)
    assert saved.cart.items.get().quantity == 3
