"""Shipments in the API: a customer's shipments of one order, a seller's order lines, and a seller
shipping lines. Thin: validate, call the same services and selectors as the pages, render."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Seller
from accounts.request import signed_in_user
from common.api.schema import NOT_FOUND, UNAUTHENTICATED, error_response
from common.exceptions import NotFoundError
from common.http import client_meta

from .. import selectors, services
from ..models import OrderItem, OrderTracking
from .fulfilment_serializers import (
    SellerOrderLineQuerySerializer,
    SellerOrderLineSerializer,
    ShipmentCreateSerializer,
    ShipmentSerializer,
)

NOT_A_SELLER = error_response("`permission_denied`: only active sellers can use this.")
SHOW = {"all": None, "to_ship": True, "shipped": False}


class SellerApiMixin:
    """The signed-in user's active seller profile as `self.seller`; anyone else gets a 403."""

    seller: Seller

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]  # authentication and permissions first
        seller = selectors.seller_for(request.user)
        if seller is None:
            raise exceptions.PermissionDenied(_("Only active sellers can use this."))
        self.seller = seller


class OrderShipmentListApi(APIView):
    @extend_schema(
        tags=["orders"],
        summary="The shipments of one of your orders, with tracking links",
        responses={200: ShipmentSerializer(many=True), 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        order = selectors.orders_of(user=signed_in_user(request)).filter(pk=pk).first()
        if order is None:
            raise NotFoundError(_("No such order."))
        return Response(ShipmentSerializer(selectors.order_shipments(order=order), many=True).data)


class SellerOrderLineListApi(SellerApiMixin, generics.GenericAPIView):
    serializer_class = SellerOrderLineSerializer

    def get_queryset(self) -> QuerySet[OrderItem]:
        if getattr(self, "swagger_fake_view", False):
            return OrderItem.objects.none()
        query = SellerOrderLineQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.seller_order_lines(seller=self.seller, to_ship=SHOW[query.validated_data["show"]])

    @extend_schema(
        tags=["seller"],
        summary="Your lines of customers' orders, newest order first",
        description="Only your own lines: of an order shared with other sellers you see your lines alone.",
        parameters=[SellerOrderLineQuerySerializer],
        responses={200: SellerOrderLineSerializer(many=True), 401: UNAUTHENTICATED, 403: NOT_A_SELLER},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(SellerOrderLineSerializer(page, many=True).data)


class SellerShipmentListCreateApi(SellerApiMixin, generics.GenericAPIView):
    serializer_class = ShipmentSerializer

    def get_queryset(self) -> QuerySet[OrderTracking]:
        if getattr(self, "swagger_fake_view", False):
            return OrderTracking.objects.none()
        return selectors.seller_shipments(seller=self.seller)

    @extend_schema(
        tags=["seller"],
        summary="Your shipments, newest first",
        responses={200: ShipmentSerializer(many=True), 401: UNAUTHENTICATED, 403: NOT_A_SELLER},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ShipmentSerializer(page, many=True).data)

    @extend_schema(
        tags=["seller"],
        summary="Ship your lines of an order with a carrier and tracking number",
        description=(
            "The customer gets an e-mail with the tracking link. The order moves to `processing` with its "
            "first shipment and to `shipped` once every line of every seller has shipped."
        ),
        request=ShipmentCreateSerializer,
        responses={
            201: OpenApiResponse(ShipmentSerializer, description="Shipped."),
            400: error_response(
                "`validation_error` with `fields`; `invalid_items` (ids that are not your lines of this order, "
                "in `extra.item_ids`); `carrier_unavailable`; `invalid_shipment`."
            ),
            401: UNAUTHENTICATED,
            403: NOT_A_SELLER,
            404: NOT_FOUND,
            409: error_response(
                "`not_shippable` (not paid, or cancelled, shipped or refunded); `already_shipped` (see "
                "`extra.item_ids`); `tracking_number_taken` (the carrier has that number already)."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = ShipmentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        shipment = services.shipment_create(
            seller=self.seller,
            order_id=data["order_id"],
            carrier_id=data["carrier_id"],
            tracking_number=data["tracking_number"],
            item_ids=data.get("item_ids"),
            estimated_delivery_at=data.get("estimated_delivery_at"),
            delivery_instructions=data.get("delivery_instructions", ""),
            actor=signed_in_user(request),
            **client_meta(request),
        )
        body = ShipmentSerializer(selectors.seller_shipments(seller=self.seller).get(pk=shipment.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)
