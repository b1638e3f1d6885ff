"""The saved carts API. Thin: validate the input, call the same services as the pages, render.

Customers only (a JWT, or a signed-in session); another customer's saved cart is a 404."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.request import signed_in_user
from common.api.schema import NOT_FOUND, UNAUTHENTICATED, VALIDATION_ERROR, error_response
from common.exceptions import NotFoundError

from .. import saved, saved_selectors
from ..models import SavedCart
from ..saved_views import restore_messages
from .saved_serializers import (
    RestoreResultSerializer,
    SavedCartCreateSerializer,
    SavedCartDetailSerializer,
    SavedCartSerializer,
)

TAGS = ["saved-carts"]


def _detail_body(*, user: User, saved_cart_id: int) -> dict[str, Any]:
    view = saved_selectors.saved_cart_of(user=user, saved_cart_id=saved_cart_id)
    if view is None:
        raise NotFoundError(_("No such saved cart."))
    return SavedCartDetailSerializer(view).data


class SavedCartListCreateApi(generics.GenericAPIView):
    serializer_class = SavedCartSerializer

    def get_queryset(self) -> QuerySet[SavedCart]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return SavedCart.objects.none()
        return saved_selectors.saved_carts_of(user=signed_in_user(self.request))

    @extend_schema(
        tags=TAGS,
        summary="Your saved carts, newest first",
        description="Expired saved carts are not listed. `item_count` and `total` are at today's prices.",
        responses={200: SavedCartSerializer(many=True), 401: UNAUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(SavedCartSerializer(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        summary="Save your cart for later",
        description=(
            "Keeps a named copy of your cart, its lines at today's prices; your cart stays as it is. It is "
            "kept SAVED_CART_DAYS (90) days, and you can keep SAVED_CARTS_MAX (20) at a time."
        ),
        request=SavedCartCreateSerializer,
        responses={
            201: SavedCartDetailSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHENTICATED,
            409: error_response("`cart_empty`: nothing to save; `saved_carts_limit`: delete a saved cart first."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = SavedCartCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = signed_in_user(request)
        created = saved.saved_cart_create(user=user, **serializer.validated_data)
        return Response(_detail_body(user=user, saved_cart_id=created.pk), status=status.HTTP_201_CREATED)


class SavedCartDetailApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="One of your saved carts, its lines at today's prices",
        responses={200: SavedCartDetailSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(_detail_body(user=signed_in_user(request), saved_cart_id=pk))

    @extend_schema(
        tags=TAGS,
        summary="Delete one of your saved carts",
        responses={204: None, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def delete(self, request: Request, pk: int) -> Response:
        saved.saved_cart_delete(user=signed_in_user(request), saved_cart_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SavedCartRestoreApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Add a saved cart's items to your cart",
        description=(
            "Each line goes into your cart at today's price, added to what the cart holds, up to the units in "
            "stock and the most one order takes of an item (`capped`); lines no longer for sale, or that would "
            "make the cart hold more different items than it can, are left out (`skipped`). The saved cart "
            "stays: it can be restored again until it expires."
        ),
        request=None,
        responses={200: RestoreResultSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def post(self, request: Request, pk: int) -> Response:
        result = saved.saved_cart_restore(user=signed_in_user(request), saved_cart_id=pk)
        body = RestoreResultSerializer(
            {
                "restored": result.restored,
                "capped": result.capped,
                "skipped": result.skipped,
                "item_count": result.item_count,
                "messages": [text for _level, text in restore_messages(result)],
            }
        ).data
        return Response(body)
