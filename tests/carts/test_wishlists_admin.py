"""Wishlists in the staff console: listed with their filters and searches, read-only."""

import pytest
from django.urls import reverse

from carts.models import CartWishlistTransfer, Wishlist, WishlistItem
from carts.services import cart_add_item
from carts.wishlists import cart_item_move_to_wishlist, wishlist_item_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def moved(customer, variant):
    line = cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    return cart_item_move_to_wishlist(user=customer, item_id=line.pk)


def test_staff_see_wishlists_items_and_transfers_read_only(staff_client, customer, moved):
    wishlist = moved.wishlist
    html = staff_client.get(reverse("admin:carts_wishlist_changelist"), {"q": customer.email}).content.decode()
    assert "My wishlist" in html
    assert (
        staff_client.get(reverse("admin:carts_wishlist_changelist"), {"visibility__exact": "private"}).status_code
        == 200
    )
    detail = staff_client.get(reverse("admin:carts_wishlist_change", args=[wishlist.pk])).content.decode()
    assert wishlist.share_token not in detail  # the secret link is not shown
    assert 'name="_save"' not in detail  # read-only
    assert staff_client.get(reverse("admin:carts_wishlistitem_changelist")).status_code == 200
    transfers = staff_client.get(
        reverse("admin:carts_cartwishlisttransfer_changelist"), {"transfer_type__exact": "cart_to_wishlist"}
    )
    assert transfers.status_code == 200
    assert "Cart to wishlist" in transfers.content.decode()
    assert staff_client.get(reverse("admin:carts_wishlist_add")).status_code == 403
    assert (
        staff_client.post(reverse("admin:carts_wishlist_delete", args=[wishlist.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert Wishlist.objects.filter(pk=wishlist.pk).exists()
    assert CartWishlistTransfer.objects.count() == 1


def test_the_admin_lists_deleted_items_too(staff_client, customer, variant):
    item = wishlist_item_add(user=customer, variant_id=variant.pk)
    WishlistItem.objects.filter(pk=item.pk).soft_delete()
    html = staff_client.get(reverse("admin:carts_wishlistitem_changelist")).content.decode()
    assert "1 wishlist item" in html  # the removed one, which the shop's own manager hides
