"""The wishlist services: the one default, the most lists, one line per variant, and the moves
between a wishlist and the cart (each recorded as a transfer, all or nothing)."""

import pytest
from django.db import IntegrityError, transaction

from carts.exceptions import CartItemInvalidError, WishlistInvalidError, WishlistItemInvalidError, WishlistLimitError
from carts.models import CartItem, CartWishlistTransfer, TransferType, Wishlist, WishlistItem, WishlistVisibility
from carts.services import cart_add_item
from carts.wishlist_selectors import wishlist_for_page, wishlist_shared, wishlists_of
from carts.wishlists import (
    cart_item_move_to_wishlist,
    wishlist_create,
    wishlist_default_of,
    wishlist_delete,
    wishlist_item_add,
    wishlist_item_move_to_cart,
    wishlist_item_remove,
    wishlist_item_update,
    wishlist_update,
)
from catalog.models import ProductStatus, VariantStatus
from common.exceptions import NotFoundError
from tests.factories.commerce import VariantFactory
from tests.orders.conftest import funded_user

pytestmark = pytest.mark.django_db


def defaults_of(user) -> list[str]:
    return list(Wishlist.objects.filter(customer=user, is_default=True).values_list("name", flat=True))


def test_the_first_list_is_the_default_and_a_new_default_takes_it_over(customer):
    first = wishlist_create(user=customer, name="  Birthday  ")
    assert (first.name, first.is_default, first.visibility) == ("Birthday", True, WishlistVisibility.PRIVATE)
    assert len(first.share_token) == 43

    wishlist_create(user=customer, name="Kitchen")
    assert defaults_of(customer) == ["Birthday"]

    wishlist_create(user=customer, name="Garden", is_default=True)
    assert defaults_of(customer) == ["Garden"]

    wishlist_update(user=customer, wishlist_id=first.pk, is_default=True)
    assert defaults_of(customer) == ["Birthday"]


def test_the_default_cannot_be_unset_only_moved(customer):
    first = wishlist_create(user=customer, name="Birthday")
    with pytest.raises(WishlistInvalidError) as refused:
        wishlist_update(user=customer, wishlist_id=first.pk, is_default=False)
    assert refused.value.field == "is_default"
    assert defaults_of(customer) == ["Birthday"]


def test_the_database_allows_one_default_list_per_customer(customer):
    wishlist_create(user=customer, name="A")
    with pytest.raises(IntegrityError), transaction.atomic():
        Wishlist.objects.create(customer=customer, name="B", is_default=True, share_token="x" * 43)


def test_at_most_wishlists_max_lists(customer, settings):
    settings.WISHLISTS_MAX = 2
    wishlist_create(user=customer, name="A")
    wishlist_create(user=customer, name="B")
    with pytest.raises(WishlistLimitError, match="at most 2 wishlists"):
        wishlist_create(user=customer, name="C")
    # A deleted list makes room again.
    wishlist_delete(user=customer, wishlist_id=Wishlist.objects.get(name="B").pk)
    wishlist_create(user=customer, name="C")
    assert Wishlist.objects.filter(customer=customer).count() == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "A", "description": "x" * 1001}, "description"),
        ({"name": "A", "visibility": "everyone"}, "visibility"),
        ({"name": "A", "is_default": "yes"}, "is_default"),
    ],
)
def test_bad_fields_are_refused_naming_the_field(customer, fields, field):
    with pytest.raises(WishlistInvalidError) as refused:
        wishlist_create(user=customer, **fields)
    assert refused.value.field == field
    assert not Wishlist.objects.exists()


def test_deleting_the_default_makes_the_newest_other_the_default(customer):
    default = wishlist_create(user=customer, name="Old")
    wishlist_create(user=customer, name="Middle")
    wishlist_create(user=customer, name="Newest")
    wishlist_delete(user=customer, wishlist_id=default.pk)
    assert defaults_of(customer) == ["Newest"]
    assert Wishlist.all_objects.get(pk=default.pk).deleted_at is not None
    assert [w.name for w in wishlists_of(user=customer)] == ["Newest", "Middle"]


def test_another_customers_list_is_not_found_and_unchanged(customer):
    other = funded_user()
    theirs = wishlist_create(user=other, name="Theirs")
    for call in (
        lambda: wishlist_update(user=customer, wishlist_id=theirs.pk, name="Mine"),
        lambda: wishlist_delete(user=customer, wishlist_id=theirs.pk),
        lambda: wishlist_item_add(user=customer, wishlist_id=theirs.pk, variant_id=VariantFactory().pk),
    ):
        with pytest.raises(NotFoundError):
            call()
    theirs.refresh_from_db()
    assert (theirs.name, theirs.deleted_at, theirs.items.count()) == ("Theirs", None, 0)
    assert wishlist_for_page(user=customer, wishlist_id=theirs.pk) is None


def test_default_of_makes_my_wishlist_once(customer):
    made = wishlist_default_of(customer)
    assert (made.name, made.is_default) == ("My wishlist", True)
    assert wishlist_default_of(customer).pk == made.pk
    assert Wishlist.objects.filter(customer=customer).count() == 1


def test_adding_a_variant_again_updates_its_one_line(customer, variant):
    item = wishlist_item_add(user=customer, variant_id=variant.pk, notes="Blue one", priority=5)
    assert (item.wishlist.name, item.notes, item.priority) == ("My wishlist", "Blue one", 5)

    again = wishlist_item_add(user=customer, variant_id=variant.pk, priority=2)
    assert again.pk == item.pk
    again.refresh_from_db()
    assert (again.notes, again.priority) == ("Blue one", 2)  # notes not sent: kept
    assert WishlistItem.objects.count() == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"priority": 0}, "priority"), ({"priority": 6}, "priority"), ({"notes": "x" * 501}, "notes")],
)
def test_bad_notes_or_priority_are_refused(customer, variant, kwargs, field):
    with pytest.raises(WishlistItemInvalidError) as refused:
        wishlist_item_add(user=customer, variant_id=variant.pk, **kwargs)
    assert refused.value.field == field
    assert not WishlistItem.objects.exists()


def test_a_sold_out_variant_may_go_on_a_list_a_discontinued_or_hidden_one_may_not(customer):
    sold_out = VariantFactory(stock=0)
    assert wishlist_item_add(user=customer, variant_id=sold_out.pk).variant_id == sold_out.pk
    for variant_id in (
        VariantFactory(status=VariantStatus.DISCONTINUED).pk,
        VariantFactory(product__status=ProductStatus.DRAFT).pk,
        10**9,
        0,
        "1",
    ):
        with pytest.raises(WishlistItemInvalidError):
            wishlist_item_add(user=customer, variant_id=variant_id)
    assert WishlistItem.objects.count() == 1


def test_update_and_remove_an_item(customer, variant):
    item = wishlist_item_add(user=customer, variant_id=variant.pk)
    wishlist_item_update(user=customer, wishlist_id=item.wishlist_id, item_id=item.pk, notes="Size M", priority=4)
    item.refresh_from_db()
    assert (item.notes, item.priority) == ("Size M", 4)
    wishlist_item_remove(user=customer, wishlist_id=item.wishlist_id, item_id=item.pk)
    assert not WishlistItem.objects.exists()
    assert WishlistItem.all_objects.get(pk=item.pk).deleted_at is not None
    with pytest.raises(NotFoundError):
        wishlist_item_remove(user=customer, wishlist_id=item.wishlist_id, item_id=item.pk)


def test_move_to_cart_adds_removes_and_records_the_quantity(customer, variant):
    item = wishlist_item_add(user=customer, variant_id=variant.pk)
    cart_add_item(user=customer, variant_id=variant.pk, quantity=1)

    line = wishlist_item_move_to_cart(user=customer, wishlist_id=item.wishlist_id, item_id=item.pk, quantity=2)

    assert line.quantity == 3  # the units add up with what the cart held
    assert not WishlistItem.objects.exists()
    transfer = CartWishlistTransfer.objects.get()
    assert (transfer.transfer_type, transfer.quantity, transfer.customer_id) == (
        TransferType.WISHLIST_TO_CART,
        2,
        customer.pk,
    )
    assert (transfer.from_wishlist_item_id, transfer.to_cart_item_id) == (item.pk, line.pk)


def test_a_refused_move_to_cart_leaves_the_wishlist_line_and_records_nothing(customer):
    variant = VariantFactory()
    item = wishlist_item_add(user=customer, variant_id=variant.pk)
    variant.status = VariantStatus.DISCONTINUED  # no longer for sale
    variant.save(update_fields=["status"])

    with pytest.raises(CartItemInvalidError, match="not for sale"):
        wishlist_item_move_to_cart(user=customer, wishlist_id=item.wishlist_id, item_id=item.pk)

    assert WishlistItem.objects.filter(pk=item.pk).exists()
    assert not CartItem.objects.exists()
    assert not CartWishlistTransfer.objects.exists()


def test_a_bad_quantity_or_anothers_item_moves_nothing(customer, variant):
    item = wishlist_item_add(user=customer, variant_id=variant.pk)
    for quantity in (0, 100, "2"):
        with pytest.raises(CartItemInvalidError):
            wishlist_item_move_to_cart(user=customer, wishlist_id=item.wishlist_id, item_id=item.pk, quantity=quantity)
    with pytest.raises(NotFoundError):
        wishlist_item_move_to_cart(user=funded_user(), wishlist_id=item.wishlist_id, item_id=item.pk)
    assert WishlistItem.objects.filter(pk=item.pk).exists()
    assert not CartItem.objects.exists()
    assert not CartWishlistTransfer.objects.exists()


def test_move_to_wishlist_takes_the_line_out_and_records_its_quantity(customer, variant):
    line = cart_add_item(user=customer, variant_id=variant.pk, quantity=3)

    wished = cart_item_move_to_wishlist(user=customer, item_id=line.pk)

    assert (wished.wishlist.name, wished.variant_id, wished.priority) == ("My wishlist", variant.pk, 3)
    assert not CartItem.objects.exists()
    transfer = CartWishlistTransfer.objects.get()
    assert (transfer.transfer_type, transfer.quantity) == (TransferType.CART_TO_WISHLIST, 3)
    assert (transfer.from_cart_item_id, transfer.to_wishlist_item_id) == (line.pk, wished.pk)
    line.cart.refresh_from_db()
    assert line.cart.total_amount == 0


def test_move_to_a_named_list_keeps_the_notes_of_a_variant_already_there(customer, variant):
    gifts = wishlist_create(user=customer, name="Gifts")
    wishlist_create(user=customer, name="Later", is_default=True)
    wishlist_item_add(user=customer, wishlist_id=gifts.pk, variant_id=variant.pk, notes="For Ann", priority=5)
    line = cart_add_item(user=customer, variant_id=variant.pk, quantity=1)

    wished = cart_item_move_to_wishlist(user=customer, item_id=line.pk, wishlist_id=gifts.pk)

    wished.refresh_from_db()
    assert (wished.wishlist_id, wished.notes, wished.priority) == (gifts.pk, "For Ann", 5)
    assert WishlistItem.objects.count() == 1


def test_move_to_wishlist_of_anothers_line_or_to_anothers_list_is_not_found(customer, variant):
    other = funded_user()
    their_line = cart_add_item(user=other, variant_id=variant.pk, quantity=1)
    with pytest.raises(NotFoundError):
        cart_item_move_to_wishlist(user=customer, item_id=their_line.pk)
    my_line = cart_add_item(user=customer, variant_id=variant.pk, quantity=1)
    their_list = wishlist_create(user=other, name="Theirs")
    with pytest.raises(NotFoundError):
        cart_item_move_to_wishlist(user=customer, item_id=my_line.pk, wishlist_id=their_list.pk)
    assert CartItem.objects.count() == 2
    assert not WishlistItem.objects.exists()
    assert not CartWishlistTransfer.objects.exists()


def test_a_shared_list_is_read_by_its_link_only_while_shared(customer, variant):
    wishlist = wishlist_create(user=customer, name="Birthday")
    wishlist_item_add(user=customer, wishlist_id=wishlist.pk, variant_id=variant.pk, notes="Blue")
    assert wishlist_shared(token=wishlist.share_token) is None  # private

    wishlist_update(user=customer, wishlist_id=wishlist.pk, visibility="shared")
    shared = wishlist_shared(token=wishlist.share_token)
    assert [line.item.notes for line in shared.lines] == ["Blue"]
    assert shared.lines[0].available == 10

    old = wishlist.share_token
    wishlist_update(user=customer, wishlist_id=wishlist.pk, regenerate_share_token=True)
    assert wishlist_shared(token=old) is None
    wishlist.refresh_from_db()
    assert wishlist_shared(token=wishlist.share_token) is not None

    wishlist_delete(user=customer, wishlist_id=wishlist.pk)
    assert wishlist_shared(token=wishlist.share_token) is None


def test_the_lists_with_counts_are_one_query(customer, django_assert_num_queries):
    for n in range(3):
        wishlist = wishlist_create(user=customer, name=f"L{n}")
        for _ in range(n + 1):
            wishlist_item_add(user=customer, wishlist_id=wishlist.pk, variant_id=VariantFactory().pk)
    gone = wishlist_item_add(user=customer, wishlist_id=wishlist.pk, variant_id=VariantFactory().pk)
    wishlist_item_remove(user=customer, wishlist_id=wishlist.pk, item_id=gone.pk)
    with django_assert_num_queries(1):
        counts = {w.name: w.item_count for w in wishlists_of(user=customer)}
    assert counts == {"L0": 1, "L1": 2, "L2": 3}


def test_a_list_page_reads_in_two_queries_whatever_its_size(customer, django_assert_num_queries):
    wishlist = wishlist_create(user=customer, name="Big")
    for _ in range(5):
        wishlist_item_add(user=customer, wishlist_id=wishlist.pk, variant_id=VariantFactory().pk)
    with django_assert_num_queries(2):
        view = wishlist_for_page(user=customer, wishlist_id=wishlist.pk)
        titles = [line.item.variant.product.title for line in view.lines]
    assert len(titles) == 5
