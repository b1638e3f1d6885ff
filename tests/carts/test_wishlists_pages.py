"""The wishlist pages: my lists, one list, the shared link, "Add to wishlist" on the product page
and "Move to wishlist" in the cart. Another's list is a 404; a shared link is read-only."""

import re

import pytest
from django.urls import reverse

from carts.models import CartItem, CartWishlistTransfer, TransferType, Wishlist, WishlistItem
from carts.services import cart_add_item
from carts.wishlists import wishlist_create, wishlist_item_add, wishlist_update
from tests.factories.commerce import VariantFactory
from tests.orders.conftest import funded_user
from tests.pages import messages_of

pytestmark = pytest.mark.django_db


def test_the_account_menu_links_to_the_wishlists(shopper):
    html = shopper.get(reverse("home")).content.decode()
    assert f'<a href="{reverse("wishlists:list")}">Wishlists</a>' in html


def test_the_wishlists_need_a_sign_in(client):
    response = client.get(reverse("wishlists:list"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_make_a_list_then_see_it_with_its_count(shopper, customer, variant):
    response = shopper.post(
        reverse("wishlists:list"), {"name": "Birthday", "description": "For June", "visibility": "private"}
    )
    wishlist = Wishlist.objects.get(customer=customer)
    assert response.status_code == 302
    assert response["Location"] == reverse("wishlists:detail", args=[wishlist.pk])
    assert wishlist.is_default
    wishlist_item_add(user=customer, wishlist_id=wishlist.pk, variant_id=variant.pk)

    html = shopper.get(reverse("wishlists:list")).content.decode()
    assert f'<a href="{reverse("wishlists:detail", args=[wishlist.pk])}">Birthday</a>' in html
    assert re.search(r'data-label="Items">1</td>', html)


def test_a_bad_new_list_shows_the_error_and_makes_nothing(shopper, customer, settings):
    response = shopper.post(reverse("wishlists:list"), {"name": "", "visibility": "private"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    settings.WISHLISTS_MAX = 1
    wishlist_create(user=customer, name="One")
    response = shopper.post(reverse("wishlists:list"), {"name": "Two", "visibility": "private"})
    assert response.status_code == 400
    assert "You can keep at most 1 wishlists" in response.content.decode()
    assert Wishlist.objects.filter(customer=customer).count() == 1


def test_the_list_page_shows_items_with_todays_price_and_stock(shopper, customer):
    variant = VariantFactory(price="12.50", stock=4, product__title="Green kettle")
    wishlist = wishlist_create(user=customer, name="Kitchen")
    wishlist_item_add(user=customer, wishlist_id=wishlist.pk, variant_id=variant.pk, notes="For tea", priority=5)
    html = shopper.get(reverse("wishlists:detail", args=[wishlist.pk])).content.decode()
    assert "Green kettle" in html
    assert "12.50" in html
    assert "4 in stock" in html
    assert ">For tea</textarea>" in html
    assert '<option value="5" selected>' in html
    assert "Move to cart" in html
    assert "share-url" not in html  # private: no link to copy


def test_edit_the_list_and_make_it_shared_shows_the_link_and_a_new_one_replaces_it(shopper, customer):
    wishlist_create(user=customer, name="First")
    wishlist = wishlist_create(user=customer, name="Second")
    url = reverse("wishlists:detail", args=[wishlist.pk])
    response = shopper.post(url, {"name": "Gifts", "description": "", "visibility": "shared", "is_default": "on"})
    assert response.status_code == 302
    wishlist.refresh_from_db()
    assert (wishlist.name, wishlist.visibility, wishlist.is_default) == ("Gifts", "shared", True)
    html = shopper.get(url).content.decode()
    assert f"/wishlists/shared/{wishlist.share_token}/" in html

    old = wishlist.share_token
    shopper.post(reverse("wishlists:share_link", args=[wishlist.pk]))
    wishlist.refresh_from_db()
    assert wishlist.share_token != old
    assert shopper.get(reverse("wishlists:shared", args=[old])).status_code == 404


def test_edit_an_item_remove_it_and_delete_the_list(shopper, customer, variant):
    item = wishlist_item_add(user=customer, variant_id=variant.pk)
    pk = item.wishlist_id
    response = shopper.post(
        reverse("wishlists:item_update", args=[pk, item.pk]), {"notes": "Size M", "priority": "4"}, follow=True
    )
    assert "Item saved." in messages_of(response)
    item.refresh_from_db()
    assert (item.notes, item.priority) == ("Size M", 4)

    response = shopper.post(
        reverse("wishlists:item_update", args=[pk, item.pk]), {"notes": "", "priority": "9"}, follow=True
    )
    assert messages_of(response)[0].startswith("Priority: ")
    item.refresh_from_db()
    assert item.priority == 4

    shopper.post(reverse("wishlists:item_remove", args=[pk, item.pk]))
    assert not WishlistItem.objects.exists()
    response = shopper.post(reverse("wishlists:delete", args=[pk]))
    assert response["Location"] == reverse("wishlists:list")
    assert not Wishlist.objects.exists()


def test_move_to_cart_from_the_list_page(shopper, customer, variant):
    item = wishlist_item_add(user=customer, variant_id=variant.pk)
    response = shopper.post(
        reverse("wishlists:item_move_to_cart", args=[item.wishlist_id, item.pk]), {"quantity": "2"}, follow=True
    )
    assert "Moved to your cart; it now holds 2 of this option." in messages_of(response)
    assert CartItem.objects.get(cart__customer=customer).quantity == 2
    assert not WishlistItem.objects.exists()
    assert CartWishlistTransfer.objects.get().quantity == 2


def test_another_customers_list_and_items_are_404(shopper, variant):
    other = funded_user()
    item = wishlist_item_add(user=other, variant_id=variant.pk)
    pk = item.wishlist_id
    assert shopper.get(reverse("wishlists:detail", args=[pk])).status_code == 404
    for name, args, data in [
        ("wishlists:detail", [pk], {"name": "Mine", "visibility": "public"}),
        ("wishlists:delete", [pk], {}),
        ("wishlists:share_link", [pk], {}),
        ("wishlists:item_update", [pk, item.pk], {"notes": "x", "priority": "1"}),
        ("wishlists:item_remove", [pk, item.pk], {}),
        ("wishlists:item_move_to_cart", [pk, item.pk], {"quantity": "1"}),
    ]:
        assert shopper.post(reverse(name, args=args), data).status_code == 404, name
    wishlist = Wishlist.objects.get(pk=pk)
    assert (wishlist.name, wishlist.visibility, wishlist.deleted_at) == ("My wishlist", "private", None)
    assert WishlistItem.objects.filter(pk=item.pk, notes="").exists()
    assert not CartItem.objects.exists()


def test_a_shared_list_is_read_only_for_others_and_private_is_404(client, customer, variant):
    wishlist = wishlist_create(user=customer, name="Birthday")
    wishlist_item_add(user=customer, wishlist_id=wishlist.pk, variant_id=variant.pk, notes="The blue one", priority=5)
    url = reverse("wishlists:shared", args=[wishlist.share_token])
    assert client.get(url).status_code == 404  # private

    wishlist_update(user=customer, wishlist_id=wishlist.pk, visibility="shared")
    html = client.get(url).content.decode()
    assert "Birthday" in html and "The blue one" in html and "5 / 5" in html
    assert "<textarea" not in html and "wishlists/" + str(wishlist.pk) not in html  # no edit controls
    assert "Sign in to buy" in html

    # A signed-in visitor adds an item to their own cart from it.
    visitor = funded_user()
    client.force_login(visitor)
    html = client.get(url).content.decode()
    assert f'action="{reverse("carts:add")}"' in html
    client.post(reverse("carts:add"), {"variant_id": variant.pk, "quantity": 1, "next": url})
    assert CartItem.objects.get().cart.customer_id == visitor.pk
    assert WishlistItem.objects.count() == 1  # the owner's list is untouched


def test_add_to_wishlist_on_the_product_page(shopper, customer, variant):
    url = reverse("catalog:product_detail", args=[variant.product_id])
    html = shopper.get(url).content.decode()
    assert f'action="{reverse("wishlists:add")}"' in html
    assert 'name="wishlist_id"' not in html  # one list (or none): no choice to make

    response = shopper.post(reverse("wishlists:add"), {"variant_id": variant.pk, "next": url}, follow=True)
    assert "Saved to your wishlist “My wishlist”." in messages_of(response)
    assert WishlistItem.objects.get().wishlist.is_default

    gifts = wishlist_create(user=customer, name="Gifts")
    html = shopper.get(url).content.decode()
    assert f'<option value="{gifts.pk}">Gifts</option>' in html
    shopper.post(reverse("wishlists:add"), {"variant_id": variant.pk, "wishlist_id": gifts.pk, "next": url})
    assert gifts.items.count() == 1


def test_add_to_wishlist_for_a_visitor_leads_to_sign_in(client, variant):
    url = reverse("catalog:product_detail", args=[variant.product_id])
    html = client.get(url).content.decode()
    assert "Sign in to add to a wishlist" in html
    assert 'name="csrfmiddlewaretoken"' not in html  # the anonymous page stays the same for everyone
    response = client.post(reverse("wishlists:add"), {"variant_id": variant.pk, "next": url})
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert not WishlistItem.objects.exists()


def test_add_to_anothers_list_is_404(shopper, variant):
    theirs = wishlist_create(user=funded_user(), name="Theirs")
    response = shopper.post(reverse("wishlists:add"), {"variant_id": variant.pk, "wishlist_id": theirs.pk})
    assert response.status_code == 404
    assert not WishlistItem.objects.exists()


def test_move_to_wishlist_from_the_cart(shopper, customer, variant):
    line = cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    html = shopper.get(reverse("carts:detail")).content.decode()
    assert f'action="{reverse("wishlists:from_cart", args=[line.pk])}"' in html

    response = shopper.post(reverse("wishlists:from_cart", args=[line.pk]), follow=True)
    assert "Moved to your wishlist “My wishlist”." in messages_of(response)
    assert not CartItem.objects.exists()
    transfer = CartWishlistTransfer.objects.get()
    assert (transfer.transfer_type, transfer.quantity) == (TransferType.CART_TO_WISHLIST, 2)


def test_move_to_wishlist_of_anothers_cart_line_is_404(shopper, variant):
    line = cart_add_item(user=funded_user(), variant_id=variant.pk, quantity=1)
    assert shopper.post(reverse("wishlists:from_cart", args=[line.pk])).status_code == 404
    assert CartItem.objects.filter(pk=line.pk).exists()
    assert not WishlistItem.objects.exists()
