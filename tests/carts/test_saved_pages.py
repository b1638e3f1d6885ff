"""The saved-cart pages and "Empty cart": what a customer (or a guest) sees and gets; another
customer's saved cart is a 404 with nothing changed; bad input is a form error."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from carts.models import CartItem, CartSnapshot, SavedCart, SnapshotType
from carts.request import GUEST_SESSION_KEY
from carts.saved import cart_clear, saved_cart_create
from carts.selectors import active_carts, cart_item_count
from carts.services import cart_add_item
from catalog.models import ProductStatus
from inventory.models import InventoryItem
from tests.factories.accounts import GuestFactory
from tests.factories.commerce import VariantFactory
from tests.orders.conftest import funded_user

from .test_pages import messages_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def saved(customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=3)
    return saved_cart_create(user=customer, name="Birthday", description="For May")


def test_the_cart_page_offers_to_save_and_to_empty_the_cart(shopper, customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=1)
    html = shopper.get(reverse("carts:detail")).content.decode()
    assert f'action="{reverse("carts:saved_create")}"' in html
    assert '<label for="saved-cart-name">Name</label>' in html
    assert f'action="{reverse("carts:clear")}"' in html and "Empty cart" in html
    # The account menu links to the saved carts.
    assert f'href="{reverse("carts:saved_list")}"' in html


def test_saving_from_the_cart_page(shopper, customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    response = shopper.post(reverse("carts:saved_create"), {"name": "Party", "description": "Drinks"}, follow=True)
    saved = SavedCart.objects.get(customer=customer)
    assert response.redirect_chain[-1][0] == reverse("carts:saved_detail", args=[saved.pk])
    assert "Your cart is saved as “Party”. It stays in your cart too." in messages_of(response)
    html = response.content.decode()
    assert "<h1>Party</h1>" in html and "Drinks" in html and "Total today for 2 items" in html
    assert cart_item_count(user=customer) == 2


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"name": ""}, "Give the saved cart a name."),
        ({"name": "x" * 101}, "Ensure this value has at most 100 characters"),
        ({"name": "Ok", "description": "d" * 1001}, "Ensure this value has at most 1000 characters"),
    ],
)
def test_bad_input_is_a_form_error(shopper, customer, variant, form, error):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=1)
    response = shopper.post(reverse("carts:saved_create"), form)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not SavedCart.objects.exists()


def test_saving_an_empty_cart_is_refused_with_a_message(shopper, customer):
    response = shopper.post(reverse("carts:saved_create"), {"name": "Nothing"})
    assert response.status_code == 400
    assert "Your cart is empty: there is nothing to save." in response.content.decode()
    assert not SavedCart.objects.exists()


def test_the_list_shows_each_saved_cart_at_todays_prices(shopper, customer, variant, saved, django_assert_num_queries):
    variant.price = Decimal("25.00")
    variant.save(update_fields=["price"])
    html = shopper.get(reverse("carts:saved_list")).content.decode()
    assert "Birthday" in html and "For May" in html
    assert "75.00" in html  # 3 x 25.00 today, not 3 x 20.00 when saved
    assert f'action="{reverse("carts:saved_restore", args=[saved.pk])}"' in html
    assert f'action="{reverse("carts:saved_delete", args=[saved.pk])}"' in html


def test_the_list_costs_the_same_queries_for_any_number_of_saved_carts(shopper, customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=1)
    saved_cart_create(user=customer, name="One")
    shopper.get(reverse("carts:saved_list"))  # warm the per-session and per-customer reads
    with CaptureQueriesContext(connection) as one:
        shopper.get(reverse("carts:saved_list"))
    for n in range(4):
        cart_add_item(user=customer, variant_id=VariantFactory().pk, quantity=1)
        saved_cart_create(user=customer, name=f"More {n}")
    with CaptureQueriesContext(connection) as five:
        html = shopper.get(reverse("carts:saved_list")).content.decode()
    assert html.count('id="saved-cart-') == 5
    assert len(five.captured_queries) == len(one.captured_queries)


def test_the_detail_flags_a_price_changed_since_saved(shopper, customer, variant, saved):
    variant.price = Decimal("18.00")
    variant.save(update_fields=["price"])
    html = shopper.get(reverse("carts:saved_detail", args=[saved.pk])).content.decode()
    assert "18.00" in html and "Price changed: 20.00 when saved" in html
    assert "Total today for 3 items" in html and "54.00" in html


def test_the_detail_flags_lines_no_longer_for_sale_or_short(shopper, customer, variant, saved):
    InventoryItem.objects.filter(variant=variant).update(quantity=2)
    html = shopper.get(reverse("carts:saved_detail", args=[saved.pk])).content.decode()
    assert "Only 2 left" in html
    variant.product.status = ProductStatus.INACTIVE
    variant.product.save(update_fields=["status"])
    html = shopper.get(reverse("carts:saved_detail", args=[saved.pk])).content.decode()
    assert "No longer for sale" in html


def test_restoring_adds_to_the_cart_with_a_message(shopper, customer, variant, saved):
    other = VariantFactory(product__title="Old mug")
    cart_add_item(user=customer, variant_id=other.pk, quantity=1)
    InventoryItem.objects.filter(variant=variant).update(quantity=4)

    response = shopper.post(reverse("carts:saved_restore", args=[saved.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("carts:detail")
    assert messages_of(response) == [
        "Only 4 of Blue teapot (Standard) could be in your cart: that is as many as there are, or as one order takes."
    ]
    assert CartItem.objects.get(cart__in=active_carts(user=customer), variant=variant).quantity == 4


def test_restoring_says_what_was_added_and_left_out(shopper, customer, variant):
    gone = VariantFactory(product__title="Old mug")
    cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    cart_add_item(user=customer, variant_id=gone.pk, quantity=1)
    saved = saved_cart_create(user=customer, name="Mixed")
    cart_clear(user=customer)
    gone.product.status = ProductStatus.DISCONTINUED
    gone.product.save(update_fields=["status"])

    response = shopper.post(reverse("carts:saved_restore", args=[saved.pk]), follow=True)

    assert messages_of(response) == [
        "Added 2 items from “Mixed” to your cart.",
        "Old mug (Standard) is no longer for sale: it was left out.",
    ]
    assert "Total for 2 items" in response.content.decode()


def test_deleting_from_the_list(shopper, customer, saved):
    response = shopper.post(reverse("carts:saved_delete", args=[saved.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("carts:saved_list")
    assert "The saved cart was deleted." in messages_of(response)
    assert "You have no saved carts." in response.content.decode()
    assert not SavedCart.objects.exists()


def test_an_expired_saved_cart_is_gone_from_the_pages(shopper, customer, saved):
    SavedCart.objects.filter(pk=saved.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert "Birthday" not in shopper.get(reverse("carts:saved_list")).content.decode()
    assert shopper.get(reverse("carts:saved_detail", args=[saved.pk])).status_code == 404
    assert shopper.post(reverse("carts:saved_restore", args=[saved.pk])).status_code == 404


def test_another_customers_saved_cart_is_a_404(client, saved, customer):
    intruder = funded_user()
    client.force_login(intruder)
    assert "Birthday" not in client.get(reverse("carts:saved_list")).content.decode()
    for name, method in [("saved_detail", "get"), ("saved_restore", "post"), ("saved_delete", "post")]:
        response = getattr(client, method)(reverse(f"carts:{name}", args=[saved.pk]))
        assert response.status_code == 404, name
        assert "Birthday" not in response.content.decode()
    assert SavedCart.objects.filter(pk=saved.pk).exists()
    assert not CartItem.objects.filter(cart__customer=intruder).exists()


def test_a_visitor_is_sent_to_sign_in_for_saved_carts(client, saved):
    for url, method in [
        (reverse("carts:saved_list"), "get"),
        (reverse("carts:saved_create"), "post"),
        (reverse("carts:saved_detail", args=[saved.pk]), "get"),
        (reverse("carts:saved_restore", args=[saved.pk]), "post"),
        (reverse("carts:saved_delete", args=[saved.pk]), "post"),
    ]:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login")), url
    assert SavedCart.objects.filter(pk=saved.pk).exists()


def test_emptying_the_cart(shopper, customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    response = shopper.post(reverse("carts:clear"), follow=True)
    assert "Your cart is now empty." in messages_of(response)
    assert "Your cart is empty." in response.content.decode()
    assert CartSnapshot.objects.get().snapshot_type == SnapshotType.BEFORE_CLEARING
    assert cart_item_count(user=customer) == 0
    again = shopper.post(reverse("carts:clear"), follow=True)
    assert "Your cart was already empty." in messages_of(again)


def test_a_guest_empties_their_own_cart(client, variant):
    guest = GuestFactory()
    cart_add_item(guest=guest, variant_id=variant.pk, quantity=2)
    other_guest = GuestFactory()
    cart_add_item(guest=other_guest, variant_id=variant.pk, quantity=1)
    session = client.session
    session[GUEST_SESSION_KEY] = guest.pk
    session.save()

    response = client.post(reverse("carts:clear"))

    assert response.status_code == 302 and response["Location"] == reverse("carts:detail")
    assert cart_item_count(guest=guest) == 0
    assert cart_item_count(guest=other_guest) == 1


def test_a_visitor_without_a_cart_empties_nothing(client, customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=1)
    response = client.post(reverse("carts:clear"))
    assert response.status_code == 302
    assert cart_item_count(user=customer) == 1
    assert not CartSnapshot.objects.exists()
