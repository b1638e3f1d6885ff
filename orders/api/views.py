"""The orders API. Thin: validate the input, call the same services as the pages, render."""

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.request import signed_in_user
from common.api.idempotency import idempotency_key_from, idempotency_parameter
from common.api.schema import (
    NOT_FOUND,
    UNAUTHENTICATED,
    VALIDATION_ERROR,
    error_response,
)
from common.exceptions import NotFoundError
from common.http import client_meta
from common.public_cache import cache_public_response

from .. import selectors, services
from ..cache import popular_scopes
from ..models import Order
from .serializers import (
    OrderCancelSerializer,
    OrderCreateSerializer,
    OrderSerializer,
    PopularEntrySerializer,
    PopularProductsQuerySerializer,
)

BAD_ORDER = error_response(
    "`validation_error` with `fields`; `invalid_order` (too much of one item); `coupon_not_usable` "
    "(not yours, used, expired, or the order is under its minimum; `message` says which)."
)


def _order_body(*, user: User, order_id: int) -> dict[str, Any]:
    """The order as every endpoint shows it, read back fresh, so a replay is byte-for-byte the same."""
    order = selectors.order_of(user=user, order_id=order_id, with_history=False)
    if order is None:
        raise NotFoundError(_("No such order."))
    return OrderSerializer(order).data


class OrderListCreateApi(generics.GenericAPIView):
    serializer_class = OrderSerializer

    def get_queryset(self) -> QuerySet[Order]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return Order.objects.none()
        return selectors.orders_of(user=signed_in_user(self.request))

    @extend_schema(
        tags=["orders"],
        summary="Your orders, newest first",
        responses={200: OrderSerializer(many=True), 401: UNAUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(OrderSerializer(page, many=True).data)

    @extend_schema(
        tags=["orders"],
        summary="Order and pay from your wallet",
        description=(
            "Takes the stock, uses the coupon, pays from the wallet and confirms the order in one step, "
            "or changes nothing. Prices, totals and status come from the shop, never from the request: "
            "fields other than `items` and `coupon_id` are refused. `coupon_id` is the `id` of one of your "
            "issued coupons (GET me/coupons/), never a coupon's id from GET coupons/."
        ),
        request=OrderCreateSerializer,
        parameters=[
            idempotency_parameter(
                "The first request with a key places the order (201); the same key with the same body again "
                "returns that order (200, same body, `Idempotent-Replayed: true`), even while the first is still "
                "running; the same key with a different body is a 422 `idempotency_key_reused`. Keys are per "
                "customer and kept forever."
            )
        ],
        responses={
            201: OpenApiResponse(OrderSerializer, description="Placed and paid."),
            200: OpenApiResponse(OrderSerializer, description="A replay of an earlier Idempotency-Key: that order."),
            400: BAD_ORDER,
            401: UNAUTHENTICATED,
            402: error_response("`insufficient_balance`: top up the wallet."),
            409: error_response("`insufficient_stock` or `product_unavailable`; see `extra`."),
            422: error_response("`idempotency_key_reused`: the key came with another body."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = OrderCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = idempotency_key_from(request)
        user = signed_in_user(request)
        data = serializer.validated_data
        placed = services.order_place(
            user=user,
            lines=[services.OrderLine(**line) for line in data["items"]],
            coupon_ref=data.get("coupon_id"),
            idempotency_key=key,
            **client_meta(request),
        )
        if placed.created:
            # The service hands back the whole order (lines, coupon, number); a replay reads the
            # same order back, and the two bodies are the same (tests/orders/test_api.py).
            body: dict[str, Any] = OrderSerializer(placed.order, context={"lines": placed.lines}).data
            return Response(body, status=status.HTTP_201_CREATED)
        body = _order_body(user=user, order_id=placed.order.pk)
        return Response(body, status=status.HTTP_200_OK, headers={"Idempotent-Replayed": "true"})


class OrderDetailApi(APIView):
    @extend_schema(
        tags=["orders"],
        summary="One of your orders",
        responses={200: OrderSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(_order_body(user=signed_in_user(request), order_id=pk))


class OrderCancelApi(APIView):
    @extend_schema(
        tags=["orders"],
        summary="Cancel one of your orders before it ships",
        description="Stock goes back, the wallet is refunded in full and a coupon used becomes usable again.",
        request=OrderCancelSerializer,
        responses={
            200: OrderSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHENTICATED,
            404: NOT_FOUND,
            409: error_response("`not_cancellable`: shipped, or already cancelled."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        serializer = OrderCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = signed_in_user(request)
        services.order_cancel(
            order_id=pk, user=user, reason=serializer.validated_data["reason"], **client_meta(request)
        )
        return Response(_order_body(user=user, order_id=pk))


# The whole answer is kept (bytes, before DRF even runs): a hit costs one cache read. It is
# stored under the generation a cancellation or a rollup bumps (orders.cache), so a hit is
# never a cancelled sale, and for at most POPULAR_PRODUCTS_CACHE_SECONDS, which is how long a
# new sale may take to show.
@method_decorator(
    cache_public_response(popular_scopes, timeout=settings.POPULAR_PRODUCTS_CACHE_SECONDS, everyone=True),
    name="dispatch",
)
class PopularProductsApi(APIView):
    """Public: no sign-in, and a stale or foreign token is not a reason to refuse it."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["products"],
        summary="The best sellers of the last days",
        description=(
            "Top products by units sold over the last `days` calendar days in UTC, today included "
            "(`days=3` is today and the two days before), ties broken by product id. Cancelled orders "
            "do not count, from the moment they are cancelled. Products no longer for sale are left "
            "out, and the next best sellers take their places. New sales show within a minute."
        ),
        parameters=[PopularProductsQuerySerializer],
        responses={200: PopularEntrySerializer(many=True), 400: VALIDATION_ERROR},
    )
    def get(self, request: Request) -> Response:
        query = PopularProductsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        days, limit = query.validated_data["days"], query.validated_data["limit"]
        # The selector is read uncached: the whole answer is (see the decorator), so the data is
        # never cached twice over.
        entries = selectors.popular_products(days=days, limit=limit, cached=False)
        body = PopularEntrySerializer([{"product": p, "quantity": q} for p, q in entries], many=True).data
        return Response(body)
