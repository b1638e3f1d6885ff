"""Reads of saved carts for their pages and the API (the writes are carts/saved.py's)."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, Exists, F, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import User
from catalog.models import ProductVariant
from common.money import ZERO, money
from inventory.selectors import units_available_of

from .models import CartItem, CartStatus, SavedCart
from .saved import saved_carts_live


def _lines_of_copy() -> QuerySet[CartItem]:
    return CartItem.objects.filter(cart=OuterRef("cart_id")).order_by().values("cart")


def saved_carts_of(*, user: User) -> QuerySet[SavedCart]:
    """The customer's saved carts, newest first, each with `item_count` (units) and `total_now`
    (at today's prices) computed in the same query: a page of them is one query, any size."""
    units = _lines_of_copy().annotate(n=Sum("quantity")).values("n")
    total = _lines_of_copy().annotate(t=Sum(F("quantity") * F("variant__price"))).values("t")
    money_out = DecimalField(max_digits=14, decimal_places=2)
    return (
        saved_carts_live(user=user)
        .filter(cart__status=CartStatus.SAVED, cart__deleted_at__isnull=True)
        .select_related("cart")
        .annotate(
            item_count=Coalesce(Subquery(units, output_field=IntegerField()), Value(0)),
            total_now=Coalesce(Subquery(total, output_field=money_out), Value(ZERO), output_field=money_out),
        )
        .order_by("-saved_at", "-pk")
    )


@dataclass(frozen=True)
class SavedLine:
    item: CartItem  # `unit_price`: the price when the cart was saved
    price_now: Decimal
    line_total: Decimal  # at today's price
    price_changed: bool  # since the cart was saved
    available: int  # units in stock now
    for_sale: bool  # False: a restore leaves it out


@dataclass(frozen=True)
class SavedCartView:
    saved: SavedCart
    lines: list[SavedLine]

    @property
    def total(self) -> Decimal:
        return money(sum((line.line_total for line in self.lines if line.for_sale), ZERO))

    @property
    def item_count(self) -> int:
        return sum(line.item.quantity for line in self.lines)


def saved_cart_of(*, user: User, saved_cart_id: int) -> SavedCartView | None:
    """One of the customer's saved carts with its lines at today's prices (two queries), or None:
    not theirs, expired or deleted."""
    saved = saved_carts_of(user=user).filter(pk=saved_cart_id).first()
    if saved is None:
        return None
    items = (
        CartItem.objects.filter(cart_id=saved.cart_id)
        .select_related("variant__product")
        .annotate(
            units_available=units_available_of("variant_id"),
            for_sale=Exists(ProductVariant.objects.orderable().filter(pk=OuterRef("variant_id"))),
        )
        .order_by("created_at", "pk")
    )
    lines = [
        SavedLine(
            item=item,
            price_now=item.variant.price,
            line_total=money(item.variant.price * item.quantity),
            price_changed=item.variant.price != item.unit_price,
            available=item.units_available,
            for_sale=item.for_sale,
        )
        for item in items
    ]
    return SavedCartView(saved=saved, lines=lines)
