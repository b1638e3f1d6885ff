"""Reads of the catalogue shared by pages, the API and other apps."""

import functools
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import (
    Case,
    Count,
    DecimalField,
    IntegerField,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, JSONObject

from common.paging import PagedRows
from common.prepared import PreparedQuery
from common.public_cache import shared_value
from inventory.selectors import (
    product_units_available,
    variant_low_stock_at,
    variant_stock_status,
    variant_units_available,
)

from .models import Category, Product, ProductImage, ProductStatus, ProductVariant, VariantStatus

M = TypeVar("M", bound=Model)

# The orderings pages and the API offer; the id breaks ties so pagination is stable.
PRODUCT_ORDERINGS: dict[str, tuple[str, ...]] = {
    "price": ("price", "id"),
    "-price": ("-price", "-id"),
    "created_at": ("created_at", "id"),
    "-created_at": ("-created_at", "-id"),
    "title": ("title", "id"),
}
DEFAULT_ORDERING = "-created_at"

# A product's listed stock: its active variants' (a stock row's variant, as a lookup from the row).
_COUNTED_STOCK = Q(variant__status=VariantStatus.ACTIVE, variant__deleted_at__isnull=True)


def _lowest_price_for_product() -> Subquery:
    return Subquery(
        ProductVariant.objects.filter(product=OuterRef("pk"), status=VariantStatus.ACTIVE)
        .order_by("price")
        .values("price")[:1],
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


def products_for_listing() -> QuerySet[Product]:
    """Products for sale, each annotated with `price` (lowest active variant price, else the
    base price) and `available` (units available across variants and warehouses), with the
    category and primary image loaded: a list page runs a constant number of queries.

    Both annotations are correlated subqueries, not a join with GROUP BY: PostgreSQL then
    computes them only for the rows of the page, and the paginator's COUNT leaves them out.
    With the join, every page computed them for the whole catalogue (about 2 s a page at
    10,000 products, `make bench`)."""
    return _listing_base().all()  # a fresh copy: the kept one is never evaluated


@functools.cache
def _listing_base() -> QuerySet[Product]:
    # Built once per worker: building the figures' subqueries cost 0.9 ms a listing, copying the
    # built queryset 5 µs.
    return _with_listing_figures(
        Product.objects.filter(status=ProductStatus.ACTIVE)
        .select_related("category")
        .prefetch_related(
            Prefetch("images", queryset=ProductImage.objects.filter(is_primary=True), to_attr="primary_images")
        )
    )


class ListingRows(PagedRows[Product]):
    """A listing (a `products_search`, or a filtered `products_for_listing`) for Django's or DRF's
    paginator: counted, then a page read as the page's slice of its ids (in the listing's order)
    and those products' rows by `listing_rows_by_ids`.

    Paginating the rows themselves computed `price` and `available` for every row the OFFSET
    skipped (page 30: the subqueries of 720 rows for 24 shown, 4.7 ms); now for the page's rows
    only (ordered by price, the ids' query still computes the price to order by: only that).

    `count_kept_under`: the scopes under which the count is kept (`shared_value`, named by the
    ids' statement): every page of a listing has the same count, and the catalogue's first visit
    of pages 2 to 50 counted it again (a COUNT over every product for sale: 2-3 ms). `page` (as
    the request sent it) and `per_page`: the page the paginator will ask for, whose ids come with
    the count in one statement (`COUNT(*) OVER ()`) when the count is not kept: a search's first
    visit scanned its matches twice, once to count them and once for the page."""

    ordered = True  # the listing's own order (Paginator warns about an unordered one)

    def __init__(
        self,
        products: QuerySet[Product],
        *,
        count_kept_under: Sequence[str] = (),
        page: Any = None,
        per_page: int | None = None,
    ) -> None:
        listing = products.prefetch_related(None)
        self._ids = listing.values_list("pk", flat=True)
        self._ids_with_count = listing.annotate(listing_count=Window(Count("pk"))).values_list("pk", "listing_count")
        self._count_scopes = list(count_kept_under)
        self._asked: tuple[int, int] | None = None
        if per_page:
            try:
                number = int(page) if page is not None else 1
            except (TypeError, ValueError):
                number = 1  # what both paginators show for a page that is not a number
            if 0 < number < 10**6:
                self._asked = ((number - 1) * per_page, number * per_page)
        self._read: tuple[int, int, list[int]] | None = None  # the asked page's ids, once read

    def __len__(self) -> int:  # the paginator's count (kept by it)
        if not self._count_scopes:
            return self._count()
        sql, params = self._ids.query.sql_with_params()
        name = "catalog:listing-count:" + hashlib.sha256(f"{sql}\n{params!r}".encode()).hexdigest()
        count: int = shared_value(self._count_scopes, name, self._count)
        return count

    def _count(self) -> int:
        if self._asked is None:
            return self._ids.count()
        start, stop = self._asked
        found = list(self._ids_with_count[start:stop])
        if not found:  # past the end: counted on its own (the paginator then shows the last page)
            return self._ids.count()
        self._read = (start, stop, [pk for pk, _count in found])
        return int(found[0][1])

    def _rows(self, start: int, stop: int) -> list[Product]:
        read = self._read
        if read is not None and start == read[0] and stop <= read[1]:
            ids = read[2][: stop - start]  # a last page ends before the asked bounds
        else:
            ids = list(self._ids[start:stop])
        return listing_rows_by_ids(ids)


def _listing_rows(**ids: int) -> QuerySet[Product]:
    """Products for sale by id as `products_for_listing` gives them, with their primary images as
    JSON (`primary_image_rows`) in the same statement instead of a prefetch's second one."""
    images = (
        ProductImage.objects.filter(product=OuterRef("pk"), is_primary=True)
        .order_by("-is_primary", "display_order", "id")
        .values(row=JSONObject(**{column: column for column in _IMAGE_COLUMNS}))
    )
    return _with_listing_figures(
        Product.objects.filter(status=ProductStatus.ACTIVE, pk__in=list(ids.values())).select_related("category")
    ).annotate(primary_image_rows=ArraySubquery(images))


@functools.lru_cache(maxsize=64)
def _listing_rows_of(count: int) -> PreparedQuery[Product]:
    """The prepared read of `count` listing rows by id (the number of ids is the key)."""
    return PreparedQuery(_listing_rows)


def listing_rows_by_ids(ids: list[int]) -> list[Product]:
    """These products for sale, in this order, as `products_for_listing` gives them (`price`,
    `available`, the category, `primary_images`), in one prepared statement: the same for every
    listing whatever its filters and page, so PostgreSQL plans it once per connection (planning
    the page's own statement, with its filters and price and stock subqueries, cost 2.5 ms a
    page) and the ORM never builds it again (2 ms). A product no longer for sale is left out."""
    if not ids:
        return []
    found = _listing_rows_of(len(ids)).run(**{f"product_{n:03d}": pk for n, pk in enumerate(ids)})
    by_id = {}
    for product in found:
        product.primary_images = [_instance_from_json(ProductImage, row) for row in product.primary_image_rows]  # type: ignore[attr-defined]
        by_id[product.pk] = product
    return [by_id[pk] for pk in ids if pk in by_id]


def _with_listing_figures(products: QuerySet[Product]) -> QuerySet[Product]:
    """`price` and `available` of `products_for_listing`, on any queryset of products."""
    return products.annotate(
        price=Coalesce(
            _lowest_price_for_product(),
            "base_price",
            output_field=DecimalField(max_digits=14, decimal_places=2),
        ),
        available=Coalesce(
            product_units_available(variants=_COUNTED_STOCK),
            Value(0),
        ),
    )


def variants_for_sale() -> QuerySet[ProductVariant]:
    """Variants a shopper may see (active or marked out of stock), each annotated with
    `available` (0 unless the variant is active), `low_stock_at` and `stock_status`."""
    return (
        ProductVariant.objects.filter(status__in=[VariantStatus.ACTIVE, VariantStatus.OUT_OF_STOCK])
        .annotate(
            available=Case(
                When(status=VariantStatus.ACTIVE, then=variant_units_available()),
                default=Value(0),
                output_field=IntegerField(),
            ),
            low_stock_at=variant_low_stock_at(),
        )
        .annotate(stock_status=variant_stock_status(available="available", low_stock_at="low_stock_at"))
        .order_by("id")
    )


# --- One product, as its page and the API show it ------------------------------------------------

# What the product page and the product API read of a product's images and variants, carried in
# the product's own row as JSON arrays (below): one statement per page, not three.
_IMAGE_COLUMNS = ("id", "product_id", "image_url", "thumbnail_url", "alt_text", "is_primary", "display_order")
_VARIANT_COLUMNS = ("id", "product_id", "sku", "name", "price", "status", "color", "size")
_VARIANT_FIGURES = ("available", "low_stock_at", "stock_status")  # annotated by variants_for_sale()


def _product_with_rows(product_id: int) -> QuerySet[Product]:
    """The product for sale with `image_rows` (every image, primary first) and `variant_rows`
    (`variants_for_sale()`, in id order), each a list of dicts; money as text, kept exact."""
    images = (
        ProductImage.objects.filter(product=OuterRef("pk"))
        .order_by("-is_primary", "display_order", "id")
        .values(row=JSONObject(**{column: column for column in _IMAGE_COLUMNS}))
    )
    variant_row = {column: column for column in (*_VARIANT_COLUMNS, *_VARIANT_FIGURES)}
    variants = (
        variants_for_sale()
        .filter(product=OuterRef("pk"))
        .values(row=JSONObject(**variant_row | {"price": Cast("price", TextField())}))
    )
    # The row's times are not shown (page nor API): their three timestamps were a twentieth of the
    # read's CPU to parse. Deferred, so reading one is a query of its own, never a wrong value.
    return (
        Product.objects.filter(status=ProductStatus.ACTIVE, pk=product_id)
        .defer("created_at", "updated_at", "deleted_at")
        .annotate(image_rows=ArraySubquery(images), variant_rows=ArraySubquery(variants))
    )


# Compiled once per worker (common/prepared.py): building it through the ORM on every page cost
# more CPU than running it.
_PRODUCT_WITH_ROWS = PreparedQuery(_product_with_rows)
_CATEGORY = PreparedQuery(lambda category_id: Category.objects.filter(pk=category_id))


def _instance_from_json(model: type[M], row: dict[str, Any]) -> M:
    """A model instance as the ORM would load it from these columns (the rest deferred: reading
    one is a query of its own, never a silent default), values converted by each field."""
    fields = [field for field in model._meta.concrete_fields if field.attname in row]
    return model.from_db(
        Product.objects.db,
        [field.attname for field in fields],
        [field.to_python(row[field.attname]) for field in fields],
    )


def product_for_page(*, product_id: int) -> Product | None:
    """One product for sale as its page and the product API show it, in one statement: with its
    category, every image (`page_images`, the primary ones also as `primary_images`), its variants
    for sale with live stock (`sale_variants`, see `variants_for_sale`) and, from them, `price` and
    `available` as `products_for_listing` computes them. None when it is unknown, not active or
    deleted. A product in a hidden category costs a second statement (its category)."""
    found = _PRODUCT_WITH_ROWS.run(product_id=product_id)
    if not found:
        return None
    product = found[0]
    _attach_category(product)
    product.page_images = [_instance_from_json(ProductImage, row) for row in product.image_rows]  # type: ignore[attr-defined]
    product.primary_images = [image for image in product.page_images if image.is_primary]  # type: ignore[attr-defined]
    variants = []
    for row in product.variant_rows:  # type: ignore[attr-defined]
        variant = _instance_from_json(ProductVariant, row)
        for figure in _VARIANT_FIGURES:
            setattr(variant, figure, row[figure])
        variants.append(variant)
    product.sale_variants = variants  # type: ignore[attr-defined]
    # What products_for_listing() annotates: the lowest active price, the active variants' stock.
    active = [variant for variant in variants if variant.status == VariantStatus.ACTIVE]
    product.price = min((variant.price for variant in active), default=product.base_price)  # type: ignore[attr-defined]
    product.available = sum(variant.available for variant in active)  # type: ignore[attr-defined]
    return product


def _attach_category(product: Product) -> None:
    """The product's category from the kept category tree; a hidden one (not in the tree) read."""
    from .cache import category_index  # the tree kept per generation (catalog/cache.py)

    node = category_index().by_id.get(product.category_id)
    if node is not None:
        product.category = node.category
    else:
        rows = _CATEGORY.run(category_id=product.category_id)
        product.category = rows[0] if rows else None  # type: ignore[assignment]


# --- Categories ---------------------------------------------------------------------------------


def categories_active() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).order_by("display_order", "name")


@dataclass
class CategoryNode:
    category: Category
    depth: int = 0
    children: list["CategoryNode"] = field(default_factory=list)


@dataclass
class CategoryIndex:
    """The tree of active categories, read in one query. A category under an inactive parent
    is hidden with it."""

    roots: list[CategoryNode]
    by_id: dict[int, CategoryNode]
    by_slug: dict[str, CategoryNode]

    def walk(self) -> Iterator[CategoryNode]:
        """Every node, depth first, in display order."""
        stack = list(reversed(self.roots))
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def descendant_ids(self, category_id: int) -> list[int]:
        """The category's id and those of all its descendants."""
        node = self.by_id.get(category_id)
        if node is None:
            return []
        ids: list[int] = []
        stack = [node]
        while stack:
            current = stack.pop()
            ids.append(current.category.pk)
            stack.extend(current.children)
        return ids

    def ancestors(self, category_id: int) -> list[Category]:
        """From the root down to the category's parent."""
        chain: list[Category] = []
        node = self.by_id.get(category_id)
        while node is not None and node.category.parent_id is not None:
            node = self.by_id.get(node.category.parent_id)
            if node is not None:
                chain.append(node.category)
        return list(reversed(chain))


def category_index() -> CategoryIndex:
    categories = list(categories_active())
    nodes = {category.pk: CategoryNode(category=category) for category in categories}
    roots: list[CategoryNode] = []
    for category in categories:
        if category.parent_id is None:
            roots.append(nodes[category.pk])
        elif category.parent_id in nodes:
            nodes[category.parent_id].children.append(nodes[category.pk])
    reachable: dict[int, CategoryNode] = {}
    stack = [(node, 0) for node in roots]
    while stack:
        node, depth = stack.pop()
        node.depth = depth
        reachable[node.category.pk] = node
        stack.extend((child, depth + 1) for child in node.children)
    return CategoryIndex(
        roots=roots,
        by_id=reachable,
        by_slug={node.category.slug: node for node in reachable.values()},
    )


def category_tree() -> list[CategoryNode]:
    """Active categories as a tree of nodes, roots first, children in display order."""
    return category_index().roots


def category_by_ref(*, ref: str) -> Category | None:
    """An active category by id or slug (the API accepts either)."""
    ref = ref.strip()
    if not ref:
        return None
    query = Q(slug=ref)
    # ASCII digits only: str.isdigit() is also true for "¹" or "٣", which int() refuses (a 500),
    # and an id has at most 18 digits (a bigint).
    if ref.isascii() and ref.isdigit() and len(ref) <= 18:
        query |= Q(pk=int(ref))
    matches = list(categories_active().filter(query))
    # A numeric slug could collide with another category's id: the id wins.
    matches.sort(key=lambda category: str(category.pk) != ref)
    return matches[0] if matches else None


# --- Search and filters -------------------------------------------------------------------------


def products_search(
    *,
    products: QuerySet[Product] | None = None,
    search: str = "",
    category: Category | None = None,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    in_stock: bool | None = None,
    ordering: str = "",
) -> QuerySet[Product]:
    """Products for sale (see `products_for_listing`) filtered and ordered.

    `search` matches titles case-insensitively (the trigram index of migration 0002 serves
    ``UPPER(title) LIKE``); without an explicit ordering, exact then prefix matches come first.
    `category` includes its descendants. `in_stock` True keeps products with stock, False keeps
    those without. Unknown orderings fall back to the newest first. `products` narrows the
    start (it must come from `products_for_listing`).
    """
    if products is None:
        products = products_for_listing()
    order_by: list[str] = []
    search = search.strip()
    if search:
        products = products.filter(title__icontains=search).annotate(
            search_rank=Case(
                When(title__iexact=search, then=Value(0)),
                When(title__istartswith=search, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        if not ordering:
            order_by.append("search_rank")
    if category is not None:
        from .cache import category_index as kept_category_index  # the tree kept per generation

        products = products.filter(category_id__in=kept_category_index().descendant_ids(category.pk))
    # Q() because `price` and `available` are annotations the type checker cannot see.
    if min_price is not None:
        products = products.filter(Q(price__gte=min_price))
    if max_price is not None:
        products = products.filter(Q(price__lte=max_price))
    if in_stock is True:
        products = products.filter(Q(available__gt=0))
    elif in_stock is False:
        products = products.filter(Q(available__lte=0))
    order_by.extend(PRODUCT_ORDERINGS.get(ordering) or PRODUCT_ORDERINGS[DEFAULT_ORDERING])
    return products.order_by(*order_by)
