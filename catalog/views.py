"""Catalogue pages. Thin: read the query string, call selectors, render."""

import uuid
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from common.public_cache import UnpickledWhenUsed, cache_public_response, shared_value

from . import cache, selectors
from .cache import CATALOG, listing_scopes, product_page_scopes
from .forms import ProductFilterForm, product_filter_form
from .models import VariantStatus

PAGE_SIZE = 24


def _page(request: HttpRequest, filters: dict[str, Any]) -> Page:
    """The requested page of `selectors.products_search(**filters)`, shared by every shopper
    who asks for the same filters and page until the catalogue changes (any URL, signed in or not)."""
    number = request.GET.get("page")
    shown = {**filters, "category": filters["category"].pk if filters["category"] else None}
    name = f"catalog:listing:{sorted(shown.items())}:page={number}"

    def compute() -> tuple[int, int, UnpickledWhenUsed]:
        rows = selectors.ListingRows(
            selectors.products_search(**filters), count_kept_under=[CATALOG], page=number, per_page=PAGE_SIZE
        )
        page = Paginator(rows, PAGE_SIZE).get_page(number)
        return page.paginator.count, page.number, UnpickledWhenUsed(page.object_list)

    count, shown_number, rows = shared_value([CATALOG], name, compute)
    paginator = Paginator(rows, PAGE_SIZE)
    paginator.__dict__["count"] = count  # the whole result's count (a cached_property)
    page = Page(rows, shown_number, paginator)
    page.shared_name = name  # type: ignore[attr-defined]  # the cards' {% shared %} fragment (templates)
    return page


@method_decorator(cache_public_response(listing_scopes), name="dispatch")
class ProductListView(View):
    """Search and browse every product for sale: ?q=, category, price range, in stock, sort."""

    def get(self, request: HttpRequest) -> HttpResponse:
        form = product_filter_form(request.GET)
        filters = form.filters() if form.is_bound else ProductFilterForm.empty_filters()
        page = _page(request, filters)
        context: dict[str, Any] = {
            "form": form,
            "page_obj": page,
            "products": page.object_list,
            "query": filters["search"],
            "category": filters["category"],
        }
        return render(request, "catalog/product_list.html", context, using="jinja2")


@method_decorator(cache_public_response(listing_scopes), name="dispatch")
class CategoryDetailView(View):
    """A category with its subcategory links and the products of it and its descendants."""

    def get(self, request: HttpRequest, slug: str) -> HttpResponse:
        index = cache.category_index()
        node = index.by_slug.get(slug)
        if node is None:
            raise Http404
        form = product_filter_form(request.GET, with_category=False)
        filters = form.filters() if form.is_bound else ProductFilterForm.empty_filters()
        filters["category"] = node.category
        page = _page(request, filters)
        context: dict[str, Any] = {
            "category": node.category,
            "subcategories": [child.category for child in node.children],
            "ancestors": index.ancestors(node.category.pk),
            "form": form,
            "page_obj": page,
            "products": page.object_list,
        }
        return render(request, "catalog/category_detail.html", context, using="jinja2")


@method_decorator(cache_public_response(product_page_scopes), name="dispatch")
@method_decorator(never_cache, name="dispatch")
class ProductDetailView(View):
    """One product: images, variants with live stock and the order form.

    Never cached for customers: the order form carries a fresh idempotency key on every render,
    so a double submit makes one order while a deliberate second visit can order again. The
    anonymous page has no form (it links to sign-in), so the shop keeps that one.
    """

    @staticmethod
    def expect_reads(request: HttpRequest, *, pk: int) -> None:
        # The kept product comes with the request's first read (PublicCacheMiddleware.process_view).
        cache.product_for_page_expect(pk)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        # The product, its images and its variants with live prices and stock, as every visitor
        # sees it (kept per generation: cache.product_for_page; one statement when computed); the
        # per-customer parts (header, order form, CSRF token) render around it.
        product = cache.product_for_page(pk)
        if product is None:
            raise Http404
        variants = product.sale_variants  # type: ignore[attr-defined]  # set by product_for_page
        index = cache.category_index()
        breadcrumbs = []
        if product.category_id in index.by_id:
            breadcrumbs = [*index.ancestors(product.category_id), product.category]
        context: dict[str, Any] = {
            "product": product,
            "images": product.page_images,  # type: ignore[attr-defined]  # set by product_for_page
            "breadcrumbs": breadcrumbs,
            "variants": variants,
            "orderable_variants": [v for v in variants if v.available > 0],
            "price_varies": len({v.price for v in variants if v.status == VariantStatus.ACTIVE}) > 1,
            "order_form_key": uuid.uuid4().hex,
        }
        return render(request, "catalog/product_detail.html", context, using="jinja2")
