"""Reads of stock shared by pages and admin. A seller's reads always go through the seller, so
another seller's product or variant id finds nothing."""

from django.db.models import Count, IntegerField, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import Seller
from catalog.models import Product, ProductVariant

from .models import InventoryItem


def _alive_variant_stock(field: str) -> Coalesce:
    return Coalesce(
        Sum(f"variants__inventory_items__{field}", filter=Q(variants__deleted_at__isnull=True)),
        Value(0),
        output_field=IntegerField(),
    )


def seller_products(*, seller: Seller) -> QuerySet[Product]:
    """The seller's products (any status, not deleted), newest first, each annotated with
    `variant_count`, `stock_quantity`, `stock_reserved` and `stock_available`."""
    return (
        Product.objects.filter(seller=seller)
        .select_related("category")
        .annotate(
            variant_count=Count("variants", filter=Q(variants__deleted_at__isnull=True), distinct=True),
            stock_quantity=_alive_variant_stock("quantity"),
            stock_reserved=_alive_variant_stock("reserved_quantity"),
            stock_available=_alive_variant_stock("available_quantity"),
        )
        .order_by("-created_at", "-id")
    )


def seller_product_get(*, seller: Seller, product_id: int) -> Product | None:
    """One of the seller's products with `stock_variants`: each variant with its stock rows
    (`stock_items`, warehouse loaded) and its totals."""
    variants = (
        ProductVariant.objects.annotate(
            stock_quantity=Coalesce(Sum("inventory_items__quantity"), Value(0), output_field=IntegerField()),
            stock_reserved=Coalesce(Sum("inventory_items__reserved_quantity"), Value(0), output_field=IntegerField()),
            stock_available=Coalesce(Sum("inventory_items__available_quantity"), Value(0), output_field=IntegerField()),
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
        Product.objects.filter(seller=seller, pk=product_id)
        .select_related("category")
        .prefetch_related(Prefetch("variants", queryset=variants, to_attr="stock_variants"))
        .first()
    )


def seller_variant_get(*, seller: Seller, variant_id: int) -> ProductVariant | None:
    """One of the seller's variants (of a product that is not deleted)."""
    return (
        ProductVariant.objects.filter(pk=variant_id, product__seller=seller, product__deleted_at__isnull=True)
        .select_related("product")
        .first()
    )
