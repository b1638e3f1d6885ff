"""Reads of stock shared by pages, admin and the catalogue. A seller's reads always go through the
seller, so another seller's product or variant id finds nothing.

Availability is inventory's answer: the catalogue's listings ask the expressions below
(`product_units_available`, `variant_units_available`, `variant_stock_status`) and never read
stock rows themselves. Inventory in turn imports nothing of the catalogue: its models are
reached by string reference (`apps.get_model`), and stock movements are announced through
`inventory.signals`.
"""

from typing import TYPE_CHECKING

from django.apps import apps
from django.db.models import (
    Case,
    CharField,
    Count,
    Expression,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from accounts.models import Seller

from .models import InventoryItem, StockStatus

if TYPE_CHECKING:
    from catalog.models import Product, ProductVariant

# A product or variant with this many units or fewer shows "Only N left" (when its stock rows do
# not say otherwise through their reorder point).
LOW_STOCK_AT = 5


def product_units_available(*, variants: Q) -> Subquery:
    """Units available of the outer query's product (its `pk`) across every warehouse, counting
    only the variants `variants` selects (a Q on the stock row: `variant__status=…`); NULL when
    none has a stock row.

    A correlated subquery, not a join with GROUP BY: PostgreSQL computes it only for the rows
    of a page, and a paginator's COUNT leaves it out.
    """
    return Subquery(
        InventoryItem.objects.filter(variants, variant__product=OuterRef("pk"))
        .values("variant__product")
        .annotate(total=Sum("available_quantity"))
        .values("total"),
        output_field=IntegerField(),
    )


def units_available_of(variant_ref: str) -> Coalesce:
    """Units available of the variant the outer query names by `variant_ref` (e.g. a cart item's
    "variant_id"), across every warehouse, 0 without stock rows: a correlated subquery, so a
    query of lines (a cart's) gets each line's stock in the same statement."""
    return Coalesce(
        Subquery(
            InventoryItem.objects.filter(variant=OuterRef(variant_ref))
            .values("variant")
            .annotate(total=Sum("available_quantity"))
            .values("total"),
            output_field=IntegerField(),
        ),
        Value(0),
        output_field=IntegerField(),
    )


def variant_units_available() -> Coalesce:
    """For a variant queryset: units available across every warehouse (0 without stock rows)."""
    return Coalesce(Sum("inventory_items__available_quantity"), Value(0), output_field=IntegerField())


def variant_low_stock_at() -> Coalesce:
    """For a variant queryset: at or below this many units its stock is low (the rows' reorder
    point, else LOW_STOCK_AT)."""
    return Coalesce(Max("inventory_items__reorder_point"), Value(LOW_STOCK_AT), output_field=IntegerField())


def variant_stock_status(*, available: str, low_stock_at: str) -> Expression:
    """A `StockStatus` from two annotations already on the queryset (see the two above)."""
    return Case(
        When(**{f"{available}__lte": 0}, then=Value(StockStatus.OUT_OF_STOCK.value)),
        When(**{f"{available}__lte": F(low_stock_at)}, then=Value(StockStatus.LOW_STOCK.value)),
        default=Value(StockStatus.IN_STOCK.value),
        output_field=CharField(),
    )


def _alive_variant_stock(field: str) -> Coalesce:
    return Coalesce(
        Sum(f"variants__inventory_items__{field}", filter=Q(variants__deleted_at__isnull=True)),
        Value(0),
        output_field=IntegerField(),
    )


def seller_products(*, seller: Seller) -> "QuerySet[Product]":
    """The seller's products (any status, not deleted), newest first, each annotated with
    `variant_count`, `stock_quantity`, `stock_reserved` and `stock_available`."""
    return (
        apps.get_model("catalog", "Product")
        .objects.filter(seller=seller)
        .select_related("category")
        .annotate(
            variant_count=Count("variants", filter=Q(variants__deleted_at__isnull=True), distinct=True),
            stock_quantity=_alive_variant_stock("quantity"),
            stock_reserved=_alive_variant_stock("reserved_quantity"),
            stock_available=_alive_variant_stock("available_quantity"),
        )
        .order_by("-created_at", "-id")
    )


def seller_product_get(*, seller: Seller, product_id: int) -> "Product | None":
    """One of the seller's products with `stock_variants`: each variant with its stock rows
    (`stock_items`, warehouse loaded) and its totals."""
    variants = (
        apps.get_model("catalog", "ProductVariant")
        .objects.annotate(
            stock_quantity=Coalesce(Sum("inventory_items__quantity"), Value(0), output_field=IntegerField()),
            stock_reserved=Coalesce(Sum("inventory_items__reserved_quantity"), Value(0), output_field=IntegerField()),
            stock_available=variant_units_available(),
        )
        .prefetch_related(
            Prefetch(
                "inventory_items",
                queryset=InventoryItem.objects.select_related("warehouse").order_by("warehouse_id"),
                to_attr="stock_items",
            )
        )
        .order_by("id")
    )
    return (
        apps.get_model("catalog", "Product")
        .objects.filter(seller=seller, pk=product_id)
        .select_related("category")
        .prefetch_related(Prefetch("variants", queryset=variants, to_attr="stock_variants"))
        .first()
    )


def seller_variant_get(*, seller: Seller, variant_id: int) -> "ProductVariant | None":
    """One of the seller's variants (of a product that is not deleted)."""
    return (
        apps.get_model("catalog", "ProductVariant")
        .objects.filter(pk=variant_id, product__seller=seller, product__deleted_at__isnull=True)
        .select_related("product")
        .first()
    )
