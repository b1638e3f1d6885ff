"""What the cached catalogue answers show, and the one place that marks them stale.

Scopes (see common/public_cache.py):

- `catalog`: everything a listing shows (products, prices, stock, categories); bumped by every
  catalogue write and every stock movement;
- `catalog:shared`: the category tree and sellers, which every product page shows;
- `catalog:product:<id>`: one product's page (its variants, prices, images, stock).

Every write that changes what a shopper sees calls `catalog_changed` (model saves through the
signal receivers below; stock movements through `inventory.signals.stock_moved`; bulk updates from
`catalog.services`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest

from common.public_cache import (
    generations_bump,
    generations_current,
    generations_expect,
    generations_prefetch,
    shared_value,
    shared_value_expect,
)

if TYPE_CHECKING:
    from .models import Product, ProductImage, ProductVariant

CATALOG = "catalog"
SHARED = "catalog:shared"
generations_prefetch(CATALOG, SHARED)


def product_scope(product_id: int) -> str:
    return f"catalog:product:{product_id}"


def listing_scopes(request: HttpRequest, **kwargs: Any) -> list[str]:
    return [CATALOG]


def product_page_scopes(request: HttpRequest, *, pk: int, **kwargs: Any) -> list[str]:
    return product_scopes(pk)


def product_scopes(product_id: int) -> list[str]:
    """What one product's page and API answer show: the product and what every product shows."""
    return [SHARED, product_scope(product_id)]


# --- the shared parts of live pages (common.public_cache.shared_value) ----------------------------


# The worker's last category tree and its generation: read on every catalogue page, and
# unpickling ~50 categories from the local cache each time cost more than the rest of the lookup.
_index_memo: tuple[int, Any] | None = None


def category_index():  # type: ignore[no-untyped-def]
    """`selectors.category_index()`, kept until a category or seller changes (every catalogue page
    and its filter form read it). Read-only: callers never change the tree they get."""
    global _index_memo
    from . import selectors

    generations = generations_current([SHARED]) if settings.PUBLIC_CACHE_ENABLED else None
    if generations is None:
        return selectors.category_index()
    memo = _index_memo
    if memo is not None and memo[0] == generations[SHARED]:
        return memo[1]
    index = shared_value([SHARED], "catalog:category-index", selectors.category_index)
    _index_memo = (generations[SHARED], index)
    return index


def _product_name(product_id: int) -> str:
    return f"catalog:product-for-page:{product_id}"


def product_for_page(product_id: int) -> Product | None:
    """`selectors.product_for_page()`, kept per generation of the product's page (its scopes are
    the anonymous page's: a price, stock or image change shows on the next request). Every visitor
    of the product shares it, signed in or not, and its first visitor's worker computes it for
    the others; the page renders it fresh around the visitor's own parts. Read-only: callers never
    change the product they get (each read unpickles its own copy)."""
    from . import selectors

    compute = functools.partial(selectors.product_for_page, product_id=product_id)
    return shared_value(product_scopes(product_id), _product_name(product_id), compute)


def product_for_page_expect(product_id: int) -> None:
    """The request will read `product_for_page(product_id)`: bring its generations and its kept value
    with the request's first generations read (a view's `expect_reads`)."""
    scopes = product_scopes(product_id)
    generations_expect(scopes)
    shared_value_expect(scopes, _product_name(product_id))


def catalog_changed(*, product_ids: Iterable[int] = (), shared: bool = False) -> None:
    """Mark stale, after commit, the listings and these products' pages (and, with `shared`, all)."""
    if not settings.PUBLIC_CACHE_ENABLED:
        return  # only the public cache keeps catalogue answers
    scopes = [CATALOG, *(product_scope(pk) for pk in set(product_ids))]
    if shared:
        scopes.append(SHARED)
    generations_bump(scopes)


def stock_moved_received(
    sender: object, *, variant_ids: Iterable[int] = (), product_ids: Iterable[int] = (), **kwargs: object
) -> None:
    """`inventory.signals.stock_moved`: these variants' (or products') stock moved, so their
    products' pages and the listings are stale once the movement commits."""
    variant_ids, product_ids = list(set(variant_ids)), list(set(product_ids))
    if not settings.PUBLIC_CACHE_ENABLED or not (variant_ids or product_ids):
        return
    if not variant_ids:
        catalog_changed(product_ids=product_ids)
        return

    def bump() -> None:
        # After commit, outside the movement's locks: which products these variants belong to.
        from .models import ProductVariant

        found = ProductVariant.all_objects.filter(pk__in=variant_ids).values_list("product_id", flat=True)
        catalog_changed(product_ids=[*found, *product_ids])

    transaction.on_commit(bump, robust=True)


# --- model saves (admin, sellers' pages, factories) -------------------------------------------


def _product_saved(sender: type[Model], instance: Product, **kwargs: Any) -> None:
    catalog_changed(product_ids=[instance.pk])


def _part_saved(sender: type[Model], instance: ProductVariant | ProductImage, **kwargs: Any) -> None:
    catalog_changed(product_ids=[instance.product_id])


def _shared_saved(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    catalog_changed(shared=True)


def connect_signals() -> None:
    from accounts.models import Seller
    from inventory.signals import stock_moved

    from .models import Category, Product, ProductImage, ProductVariant

    stock_moved.connect(stock_moved_received, dispatch_uid="catalog-cache-stock-moved")

    for signal in (post_save, post_delete):
        signal.connect(_product_saved, sender=Product, dispatch_uid=f"catalog-cache-product-{signal}")
        for part in (ProductVariant, ProductImage):
            signal.connect(_part_saved, sender=part, dispatch_uid=f"catalog-cache-{part.__name__}-{signal}")
        for shared in (Category, Seller):
            signal.connect(_shared_saved, sender=shared, dispatch_uid=f"catalog-cache-{shared.__name__}-{signal}")
