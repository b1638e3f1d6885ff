"""The staff console for saved carts and cart snapshots: the pages load and show what staff need
(a snapshot's lines as a table, the expired filter, saved and merged carts among the carts), and
nothing is added, changed or deleted by hand."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from carts.models import Cart, CartSnapshot, SavedCart
from carts.saved import cart_clear, saved_cart_create
from carts.services import cart_add_item
from tests.admin_checks import assert_admin_cannot_delete

pytestmark = pytest.mark.django_db


@pytest.fixture
def saved(customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=3)
    return saved_cart_create(user=customer, name="Birthday")


def url(model, view, *args):
    return reverse(f"admin:carts_{model._meta.model_name}_{view}", args=args)


def test_saved_carts_list_with_the_expired_filter(staff_client, customer, saved, variant):
    fresh_name = saved_cart_create(user=customer, name="Fresh and new").name
    SavedCart.objects.filter(pk=saved.pk).update(expires_at=timezone.now() - timedelta(days=1))

    html = staff_client.get(url(SavedCart, "changelist")).content.decode()
    assert "Birthday" in html and fresh_name in html and customer.email in html

    expired = staff_client.get(url(SavedCart, "changelist"), {"expired": "yes"}).content.decode()
    assert "Birthday" in expired and fresh_name not in expired
    alive = staff_client.get(url(SavedCart, "changelist"), {"expired": "no"}).content.decode()
    assert "Birthday" not in alive and fresh_name in alive
    assert "Birthday" in staff_client.get(url(SavedCart, "changelist"), {"q": "birth"}).content.decode()

    page = staff_client.get(url(SavedCart, "change", saved.pk)).content.decode()
    assert url(Cart, "change", saved.cart_id) in page


def test_a_snapshot_shows_its_lines_readably(staff_client, customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    cart_clear(user=customer)
    snapshot = CartSnapshot.objects.get()

    listing = staff_client.get(url(CartSnapshot, "changelist"), {"snapshot_type__exact": "before_clearing"})
    assert listing.status_code == 200 and "Before clearing" in listing.content.decode()
    other = staff_client.get(url(CartSnapshot, "changelist"), {"snapshot_type__exact": "saved"}).content.decode()
    assert "0 cart snapshots" in other
    assert (
        staff_client.get(url(CartSnapshot, "changelist"), {"created_at__gte": "2000-01-01 00:00:00+00:00"}).status_code
        == 200
    )

    page = staff_client.get(url(CartSnapshot, "change", snapshot.pk)).content.decode()
    assert f"<td>{variant.sku}</td><td>Blue teapot (Standard)</td><td>2</td><td>20.00 USD</td>" in page


def test_saved_copies_are_among_the_carts_with_their_status(staff_client, saved):
    html = staff_client.get(url(Cart, "changelist"), {"status__exact": "saved"}).content.decode()
    assert f">{saved.cart_id}<" in html
    assert staff_client.get(url(Cart, "change", saved.cart_id)).status_code == 200


def test_nothing_is_added_changed_or_deleted_by_hand(staff_client, customer, saved):
    cart_clear(user=customer)
    for obj in (saved, CartSnapshot.objects.first()):
        assert staff_client.get(url(type(obj), "add")).status_code == 403
        assert_admin_cannot_delete(staff_client, obj)
        before = type(obj).objects.filter(pk=obj.pk).values().get()
        staff_client.post(url(type(obj), "change", obj.pk), {"name": "Changed"})
        assert type(obj).objects.filter(pk=obj.pk).values().get() == before


def test_guest_carts_are_listed_with_their_items_inline(staff_client, customer, variant):
    from accounts.models import Guest

    guest = Guest.objects.create(session_key="s" * 32)
    guest_cart = cart_add_item(guest=guest, variant_id=variant.pk, quantity=2).cart
    cart_add_item(user=customer, variant_id=variant.pk, quantity=1)

    guests_only = staff_client.get(url(Cart, "changelist"), {"customer__isempty": "1"}).content.decode()
    assert str(guest) in guests_only and customer.email not in guests_only

    page = staff_client.get(url(Cart, "change", guest_cart.pk)).content.decode()
    assert variant.sku in page or str(variant) in page
    assert str(guest) in page
