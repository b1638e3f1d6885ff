"""Saved carts under real concurrency (threads, each with its own PostgreSQL connection): the
expiry task run twice at once removes each saved cart once; parallel saves keep to the limit;
parallel restores add every unit once each."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from carts.exceptions import SavedCartsLimitError
from carts.models import Cart, CartItem, CartStatus, SavedCart
from carts.saved import RestoreResult, saved_cart_create, saved_cart_restore, saved_carts_expire
from carts.selectors import active_carts
from carts.services import cart_add_item
from tests.factories.commerce import VariantFactory
from tests.orders.conftest import funded_user
from tests.orders.test_concurrency import race

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


@override_settings(SAVED_CARTS_MAX=50)
def test_two_expiry_runs_at_once_remove_each_saved_cart_once():
    customer = funded_user()
    cart_add_item(user=customer, variant_id=VariantFactory().pk, quantity=1)
    saved = [saved_cart_create(user=customer, name=f"Cart {n}") for n in range(12)]
    keep = saved.pop()
    SavedCart.objects.filter(pk__in=[s.pk for s in saved]).update(expires_at=timezone.now() - timedelta(hours=1))

    outcomes = race([saved_carts_expire] * 4, workers=4)

    assert all(isinstance(o, int) for o in outcomes), outcomes
    assert sum(outcomes) == 11
    assert list(SavedCart.objects.values_list("pk", flat=True)) == [keep.pk]
    gone = Cart.all_objects.filter(pk__in=[s.cart_id for s in saved])
    assert gone.count() == 11 and not gone.filter(deleted_at__isnull=True).exists()
    assert saved_carts_expire() == 0


@override_settings(SAVED_CARTS_MAX=3)
def test_parallel_saves_keep_to_the_limit():
    customer = funded_user()
    cart_add_item(user=customer, variant_id=VariantFactory().pk, quantity=1)

    outcomes = race([lambda n=n: saved_cart_create(user=customer, name=f"Cart {n}") for n in range(8)], workers=8)

    assert sum(isinstance(o, SavedCart) for o in outcomes) == 3
    assert all(isinstance(o, SavedCart | SavedCartsLimitError) for o in outcomes), outcomes
    assert SavedCart.objects.filter(customer=customer).count() == 3
    assert Cart.objects.filter(customer=customer, status=CartStatus.SAVED).count() == 3


def test_parallel_restores_add_every_unit_once_each():
    customer = funded_user()
    variant = VariantFactory(stock=100)
    cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    saved = saved_cart_create(user=customer, name="Twice")
    active_carts(user=customer).update(status=CartStatus.COMPLETED)  # no active cart: the first restore makes it

    outcomes = race([lambda: saved_cart_restore(user=customer, saved_cart_id=saved.pk)] * 6, workers=6)

    assert all(isinstance(o, RestoreResult) for o in outcomes), outcomes
    cart = active_carts(user=customer).get()
    assert list(CartItem.objects.filter(cart=cart).values_list("quantity", flat=True)) == [12]
    cart.refresh_from_db()
    assert cart.total_amount == variant.price * 12
    assert sorted(o.item_count for o in outcomes) == [2, 4, 6, 8, 10, 12]
