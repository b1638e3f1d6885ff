"""Catalogue pages. Thin: read the query string, call selectors, render."""

import uuid
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from common.public_cache import cache_public_response

from . import selectors
from .cache import listing_scopes, product_page_scopes
from .forms import ProductFilterForm
from .models import Product, VariantStatus

PAGE_SIZE = 24


def _page(request: HttpRequest, products: QuerySet[Product]) -> Page:
    return Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))


@method_decorator(cache_public_response(listing_scopes), name="dispatch")
class ProductListView(View):
    """Search and browse every product for sale: ?q=, category, price range, in stock, sort."""

    def get(self, request: HttpRequest) -> HttpResponse:
        form = ProductFilterForm(request.GET or None)
        filters = form.filters() if form.is_bound else ProductFilterForm.empty_filters()
        page = _page(request, selectors.products_search(**filters))
        context: dict[str, Any] = {
            "form": form,
            "page_obj": page,
            "products": page.object_list,
            "query": filters["search"],
            "category": filters["category"],
        }
        return render(request, "catalog/product_list.html", context)


@method_decorator(cache_public_response(listing_scopes), name="dispatch")
class CategoryDetailView(View):
    """A category with its subcategory links and the products of it and its descendants."""

    def get(self, request: HttpRequest, slug: str) -> HttpResponse:
        index = selectors.category_index()
        node = index.by_slug.get(slug)
        if node is None:
            raise Http404
        form = ProductFilterForm(request.GET or None, with_category=False)
        filters = form.filters() if form.is_bound else ProductFilterForm.empty_filters()
        filters["category"] = node.category
        page = _page(request, selectors.products_search(**filters))
        context: dict[str, Any] = {
            "category": node.category,
            "subcategories": [child.category for child in node.children],
            "ancestors": index.ancestors(node.category.pk),
            "form": form,
            "page_obj": page,
            "products": page.object_list,
        }
        return render(request, "catalog/category_detail.html", context)


@method_decorator(cache_public_response(product_page_scopes), name="dispatch")
@method_decorator(never_cache, name="dispatch")
class ProductDetailView(View):
    """One product: images, variants with live stock and the order form.

    Never cached for customers: the order form carries a fresh idempotency key on every render,
    so a double submit makes one order while a deliberate second visit can order again. The
    anonymous page has no form (it links to sign-in), so the shop keeps that one.
    """

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        product = selectors.product_for_page(product_id=pk)
        if product is None:
            raise Http404
        variants = product.sale_variants  # type: ignore[attr-defined]  # Prefetch(to_attr=...) in product_for_page
        index = selectors.category_index()
        breadcrumbs = []
        if product.category_id in index.by_id:
            breadcrumbs = [*index.ancestors(product.category_id), product.category]
        context: dict[str, Any] = {
            "product": product,
            "images": list(product.images.all()),
            "variants": variants,
            "orderable_variants": [variant for variant in variants if variant.available > 0],
            "price_varies": len({v.price for v in variants if v.status == VariantStatus.ACTIVE}) > 1,
            "breadcrumbs": breadcrumbs,
            "order_form_key": uuid.uuid4().hex,
        }
        return render(request, "catalog/product_detail.html", context)
