"""The public, read-only catalogue API. Thin: validate the query, call selectors, serialize."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.decorators import method_decorator
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from catalog import selectors
from catalog.cache import listing_scopes, product_page_scopes, product_scopes
from catalog.models import Product
from common.public_cache import cache_public_response, generations_expect, shared_value, shared_value_expect

from .filters import ProductFilter
from .serializers import CategoryTreeSerializer, ProductDetailSerializer, ProductListSerializer


@extend_schema(tags=["catalog"], summary="List products for sale")
@method_decorator(cache_public_response(listing_scopes), name="dispatch")
class ProductListApi(generics.ListAPIView):
    """Products for sale, paginated: filter by category (id or slug, subcategories included),
    title search, price range and stock; order by price, creation date or title."""

    permission_classes = [AllowAny]
    serializer_class = ProductListSerializer
    filterset_class = ProductFilter

    def get_queryset(self) -> QuerySet[Product]:
        return selectors.products_for_listing().order_by("-created_at", "-id")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # The same for every reader, signed in or not (a mobile client always is): kept per
        # catalogue generation under the absolute URL (pagination links name it). A refused
        # query raises inside and is never kept.
        name = f"catalog:api-products:{request.build_absolute_uri()}"
        return Response(shared_value(listing_scopes(request), name, lambda: self._page_data(request)))

    def _page_data(self, request: Request) -> Any:
        # DRF's ListModelMixin.list, paginating selectors.ListingRows (the figures computed for
        # the rows shown only, not for every row the page's OFFSET skips).
        listing = selectors.ListingRows(
            self.filter_queryset(self.get_queryset()),
            count_kept_under=listing_scopes(request),
            page=request.query_params.get(self.paginator.page_query_param),  # type: ignore[union-attr]
            per_page=self.paginator.get_page_size(request),  # type: ignore[union-attr]
        )
        rows = self.paginate_queryset(listing)
        assert rows is not None  # the API always paginates
        data = ProductListSerializer.represent(rows, context=self.get_serializer_context(), many=True)
        return self.get_paginated_response(data).data


def _answer_name(request: HttpRequest, pk: int) -> str:
    # The host is in the name: image URLs are absolute.
    return f"catalog:api-product:{pk}:{request.build_absolute_uri('/')}"


@extend_schema(tags=["catalog"], summary="One product with its images and variants")
@method_decorator(cache_public_response(product_page_scopes), name="dispatch")
class ProductDetailApi(generics.RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = ProductDetailSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Product]:
        return selectors.products_for_listing()

    @staticmethod
    def expect_reads(request: HttpRequest, *, pk: int) -> None:
        # Called by PublicCacheMiddleware.process_view, as for the product page: the product's
        # generation and its kept answer come with the request's first read (the token's user).
        scopes = product_scopes(pk)
        generations_expect(scopes)
        shared_value_expect(scopes, _answer_name(request, pk))

    def get_object(self) -> Product:
        product = selectors.product_for_page(product_id=self.kwargs["pk"])
        if product is None:
            raise Http404
        return product

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # The same for every reader: kept until the product (or what every product shows) changes,
        # brought from Redis with the request's first read (expect_reads), so a product another
        # worker answered costs neither a statement nor a round trip of its own.
        pk = self.kwargs["pk"]
        data = shared_value(product_scopes(pk), _answer_name(request, pk), lambda: self._data_or_none())
        if data is None:
            raise Http404
        return Response(data)

    def _data_or_none(self) -> Any:
        try:
            return ProductDetailSerializer.represent(self.get_object(), context=self.get_serializer_context())
        except Http404:
            return None


@extend_schema(
    tags=["catalog"],
    summary="The tree of active categories",
    responses=CategoryTreeSerializer(many=True),
)
@method_decorator(cache_public_response(listing_scopes), name="dispatch")
class CategoryTreeApi(generics.GenericAPIView):
    permission_classes = [AllowAny]
    serializer_class = CategoryTreeSerializer
    pagination_class = None
    filter_backends: list = []

    def get(self, request: Request) -> Response:
        roots = selectors.category_tree()
        return Response(self.get_serializer(roots, many=True).data)
