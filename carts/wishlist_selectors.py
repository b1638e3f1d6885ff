"""Reads of wishlists for their pages, the API and the product page's "Add to wishlist" form.

A customer's own lists are read through `customer=`: another's id finds nothing (a 404). A list
is read by anyone else only through its shared link, and only while it is shared or public.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from accounts.models import User
from catalog.models import ProductStatus, VariantStatus
from common.public_cache import customer_value
from inventory.selectors import units_available_of

from .models import Wishlist, WishlistItem, WishlistVisibility

SHAREABLE = (WishlistVisibility.SHARED, WishlistVisibility.PUBLIC)


def wishlists_of(*, user: User) -> QuerySet[Wishlist]:
    """The customer's lists, the default first, then newest, each with `item_count` (one query)."""
    return (
        Wishlist.objects.filter(customer=user)
        .annotate(item_count=Count("items", filter=Q(items__deleted_at__isnull=True)))
        .order_by("-is_default", "-created_at", "-pk")
    )


def wishlist_of(*, user: User, wishlist_id: int) -> Wishlist | None:
    """One of the customer's lists with its `item_count`, or None (not theirs, deleted)."""
    return wishlists_of(user=user).filter(pk=wishlist_id).first()


def wishlist_items(*, wishlist: Wishlist) -> QuerySet[WishlistItem]:
    """A list's items with their variant, product, today's price and units available (`available`),
    highest priority first, then oldest (one query, any size)."""
    return (
        WishlistItem.objects.filter(wishlist=wishlist)
        .select_related("variant__product")
        .annotate(available=units_available_of("variant_id"))
        .order_by("-priority", "created_at", "pk")
    )


@dataclass(frozen=True)
class WishlistLine:
    item: WishlistItem
    price: Decimal  # the catalogue's price today
    available: int
    for_sale: bool  # it can go in a cart now (variant and product active)

    @property
    def in_stock(self) -> bool:
        return self.for_sale and self.available > 0


@dataclass(frozen=True)
class WishlistView:
    wishlist: Wishlist
    lines: list[WishlistLine]


def _lines(wishlist: Wishlist) -> list[WishlistLine]:
    lines = []
    for item in wishlist_items(wishlist=wishlist):
        variant = item.variant
        lines.append(
            WishlistLine(
                item=item,
                price=variant.price,
                available=max(item.available, 0),  # type: ignore[attr-defined]  # annotated
                for_sale=variant.status == VariantStatus.ACTIVE
                and variant.deleted_at is None
                and variant.product.status == ProductStatus.ACTIVE
                and variant.product.deleted_at is None,
            )
        )
    return lines


def wishlist_for_page(*, user: User, wishlist_id: int) -> WishlistView | None:
    """The customer's list and its lines (two queries), or None when it is not theirs."""
    wishlist = wishlist_of(user=user, wishlist_id=wishlist_id)
    if wishlist is None:
        return None
    return WishlistView(wishlist=wishlist, lines=_lines(wishlist))


def wishlist_shared(*, token: str) -> WishlistView | None:
    """A list by its shared link, for anyone: only while it is shared or public (a private or
    deleted list, or an old link, is None: a 404). Two queries."""
    if not isinstance(token, str) or not token:
        return None
    wishlist = Wishlist.objects.filter(share_token=token, visibility__in=SHAREABLE).first()
    if wishlist is None:
        return None
    return WishlistView(wishlist=wishlist, lines=_lines(wishlist))


def wishlist_choices_kept(*, user: User) -> list[tuple[int, str, bool]]:
    """(id, name, is_default) of the customer's lists, the default first, for the product page's
    "Add to wishlist" form; kept under the customer's generation (every wishlist service that
    changes a list's name, default or existence bumps it)."""

    def compute() -> list[tuple[int, str, bool]]:
        rows = Wishlist.objects.filter(customer=user).order_by("-is_default", "-created_at", "-pk")
        return [(pk, name, is_default) for pk, name, is_default in rows.values_list("pk", "name", "is_default")]

    return customer_value(user.pk, "carts:wishlist_choices", compute)
