"""The wishlists API. Thin: validate the input's shape, call the same services as the pages,
render. Another customer's list or item is a 404; a refused field is a 400 with `fields`."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.request import signed_in_user
from common.api.schema import UNAUTHENTICATED, VALIDATION_ERROR, error_response
from common.exceptions import NotFoundError

from .. import wishlist_selectors as selectors
from .. import wishlists as services
from ..exceptions import WishlistInvalidError
from ..models import CartItem, Wishlist, WishlistItem
from ..request import cart_client
from .wishlist_serializers import (
    WishlistCartLineSerializer,
    WishlistCreateSerializer,
    WishlistItemCreateSerializer,
    WishlistItemSerializer,
    WishlistItemUpdateSerializer,
    WishlistMoveToCartSerializer,
    WishlistSerializer,
    WishlistUpdateSerializer,
)

TAGS = ["wishlists"]
NO_WISHLIST = error_response("`not_found`: there is no wishlist with that id, or it is not yours.")
NO_ITEM = error_response("`not_found`: the wishlist or the item is not yours, or the item is no longer on it.")


class WishlistApiMixin:
    # A service's refusal of a field (`WishlistInvalidError.field`) is a 400 with `fields`, like a
    # serializer's. (A comment, not a docstring: the schema would show it on every endpoint.)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, WishlistInvalidError):
            exc = exceptions.ValidationError({exc.field: [str(exc.message)]})
        return super().handle_exception(exc)  # type: ignore[misc]  # mixin: APIView after it in the MRO


def _wishlist_body(request: Request, wishlist_id: int) -> dict[str, Any]:
    wishlist = selectors.wishlist_of(user=signed_in_user(request), wishlist_id=wishlist_id)
    if wishlist is None:
        raise NotFoundError(_("No such wishlist."))
    return WishlistSerializer(wishlist, context={"request": request}).data


def _item_body(wishlist: Wishlist, item_id: int) -> dict[str, Any]:
    item = selectors.wishlist_items(wishlist=wishlist).get(pk=item_id)
    return WishlistItemSerializer(item).data


class WishlistListCreateApi(WishlistApiMixin, generics.GenericAPIView):
    serializer_class = WishlistSerializer

    def get_queryset(self) -> QuerySet[Wishlist]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return Wishlist.objects.none()
        return selectors.wishlists_of(user=signed_in_user(self.request))

    @extend_schema(
        tags=TAGS,
        summary="Your wishlists, the default first",
        responses={200: WishlistSerializer(many=True), 401: UNAUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(WishlistSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        tags=TAGS,
        summary="Make a wishlist",
        description="Your first wishlist is your default; `is_default: true` makes a new one the default instead "
        "of the old. At most WISHLISTS_MAX (20) lists: one more is a 400.",
        request=WishlistCreateSerializer,
        responses={201: WishlistSerializer, 400: VALIDATION_ERROR, 401: UNAUTHENTICATED},
    )
    def post(self, request: Request) -> Response:
        serializer = WishlistCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        wishlist = services.wishlist_create(user=signed_in_user(request), **serializer.validated_data)
        return Response(_wishlist_body(request, wishlist.pk), status=status.HTTP_201_CREATED)


class WishlistDetailApi(WishlistApiMixin, APIView):
    @extend_schema(
        tags=TAGS,
        summary="One of your wishlists",
        responses={200: WishlistSerializer, 401: UNAUTHENTICATED, 404: NO_WISHLIST},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(_wishlist_body(request, pk))

    @extend_schema(
        tags=TAGS,
        summary="Change a wishlist",
        description="Name, description, who can see it (`private`, `shared`: anyone with the link, `public`), "
        "make it the default, or a new shared link.",
        request=WishlistUpdateSerializer,
        responses={200: WishlistSerializer, 400: VALIDATION_ERROR, 401: UNAUTHENTICATED, 404: NO_WISHLIST},
    )
    def patch(self, request: Request, pk: int) -> Response:
        user = signed_in_user(request)
        if selectors.wishlist_of(user=user, wishlist_id=pk) is None:  # another's id: a 404, never a 400
            raise NotFoundError(_("No such wishlist."))
        serializer = WishlistUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        regenerate = data.pop("regenerate_share_link", False)
        services.wishlist_update(user=user, wishlist_id=pk, regenerate_share_token=regenerate, **data)
        return Response(_wishlist_body(request, pk))

    @extend_schema(
        tags=TAGS,
        summary="Delete a wishlist",
        description="Its shared link stops working. Deleting your default makes your newest other list the default.",
        responses={204: None, 401: UNAUTHENTICATED, 404: NO_WISHLIST},
    )
    def delete(self, request: Request, pk: int) -> Response:
        services.wishlist_delete(user=signed_in_user(request), wishlist_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WishlistItemListCreateApi(WishlistApiMixin, generics.GenericAPIView):
    serializer_class = WishlistItemSerializer

    def _wishlist(self) -> Wishlist:
        wishlist = selectors.wishlist_of(user=signed_in_user(self.request), wishlist_id=self.kwargs["pk"])
        if wishlist is None:
            raise NotFoundError(_("No such wishlist."))
        return wishlist

    def get_queryset(self) -> QuerySet[WishlistItem]:
        if getattr(self, "swagger_fake_view", False):
            return WishlistItem.objects.none()
        return selectors.wishlist_items(wishlist=self._wishlist())

    @extend_schema(
        tags=TAGS,
        summary="The items of one of your wishlists, highest priority first",
        description="Each with today's price and the units in stock now.",
        responses={200: WishlistItemSerializer(many=True), 401: UNAUTHENTICATED, 404: NO_WISHLIST},
    )
    def get(self, request: Request, pk: int) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(WishlistItemSerializer(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        summary="Put a product option on a wishlist",
        description="A variant already on the list is not an error: its `notes` and `priority` change to those "
        "sent (201 either way, the one line). A variant the shop does not sell is a 400 on `variant_id`.",
        request=WishlistItemCreateSerializer,
        responses={201: WishlistItemSerializer, 400: VALIDATION_ERROR, 401: UNAUTHENTICATED, 404: NO_WISHLIST},
    )
    def post(self, request: Request, pk: int) -> Response:
        wishlist = self._wishlist()
        serializer = WishlistItemCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.wishlist_item_add(user=signed_in_user(request), wishlist_id=pk, **serializer.validated_data)
        return Response(_item_body(wishlist, item.pk), status=status.HTTP_201_CREATED)


class WishlistItemDetailApi(WishlistApiMixin, APIView):
    @extend_schema(
        tags=TAGS,
        summary="Change an item's notes or priority",
        request=WishlistItemUpdateSerializer,
        responses={200: WishlistItemSerializer, 400: VALIDATION_ERROR, 401: UNAUTHENTICATED, 404: NO_ITEM},
    )
    def patch(self, request: Request, pk: int, item_id: int) -> Response:
        user = signed_in_user(request)
        wishlist = selectors.wishlist_of(user=user, wishlist_id=pk)
        if wishlist is None or not wishlist.items.filter(pk=item_id).exists():
            raise NotFoundError(_("That item is not on your wishlist."))
        serializer = WishlistItemUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.wishlist_item_update(user=user, wishlist_id=pk, item_id=item_id, **serializer.validated_data)
        return Response(_item_body(wishlist, item_id))

    @extend_schema(
        tags=TAGS,
        summary="Take an item off a wishlist",
        responses={204: None, 401: UNAUTHENTICATED, 404: NO_ITEM},
    )
    def delete(self, request: Request, pk: int, item_id: int) -> Response:
        services.wishlist_item_remove(user=signed_in_user(request), wishlist_id=pk, item_id=item_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WishlistItemMoveToCartApi(WishlistApiMixin, APIView):
    @extend_schema(
        tags=TAGS,
        summary="Move a wishlist item to your cart",
        description="Adds `quantity` (default 1) of the item's option to your cart and takes it off the list, "
        "together or not at all: an option the shop no longer sells, or a full cart, is a 400 "
        "`cart_item_invalid` and the item stays on the list. The answer is the cart line (which may hold more, "
        "if the option was in the cart already).",
        request=WishlistMoveToCartSerializer,
        responses={
            201: OpenApiResponse(WishlistCartLineSerializer, description="The cart line it went into."),
            400: error_response("`validation_error`; `cart_item_invalid`: not for sale now, too many, a full cart."),
            401: UNAUTHENTICATED,
            404: NO_ITEM,
        },
    )
    def post(self, request: Request, pk: int, item_id: int) -> Response:
        user = signed_in_user(request)
        wishlist = selectors.wishlist_of(user=user, wishlist_id=pk)
        if wishlist is None or not wishlist.items.filter(pk=item_id).exists():
            raise NotFoundError(_("That item is not on your wishlist."))
        serializer = WishlistMoveToCartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        line = services.wishlist_item_move_to_cart(
            user=user,
            wishlist_id=pk,
            item_id=item_id,
            quantity=serializer.validated_data["quantity"],
            client=cart_client(request, api=True),
        )
        line = CartItem.objects.get(pk=line.pk)  # read back: its generated total
        return Response(WishlistCartLineSerializer(line).data, status=status.HTTP_201_CREATED)
