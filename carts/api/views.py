"""The cart API. Thin: check the input, call the same services as the cart page, render the cart.

Who: a JWT client is a customer; a session client that is not signed in is the session's guest
(`carts.request`), its writes CSRF-checked (`permissions.GuestSessionCsrf`). A visitor with no
session reads an empty cart without getting one; their first add makes the guest and the session.
Checkout needs a customer: its endpoint, `cart/checkout/`, is the orders API's (orders/api/cart_checkout.py).
"""

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api.schema import error_response
from common.exceptions import NotFoundError
from common.money import ZERO

from .. import services
from ..request import CartOwner, cart_client, cart_owner, cart_owner_or_new
from ..selectors import CartView, cart_for_page
from .permissions import GuestSessionCsrf
from .serializers import (
    CartAddSerializer,
    CartAnswer,
    CartItemQuantitySerializer,
    CartSerializer,
)

TAGS = ["cart"]
CSRF_REFUSED = error_response(
    "`permission_denied`: a session (cookie) request that is not signed in sent no valid CSRF token "
    "(`X-CSRFToken` header matching the `csrftoken` cookie). Apps use a bearer token instead."
)
ITEM_REFUSED = error_response(
    "`validation_error` with `fields`; `cart_item_invalid`: the variant is not for sale, more than the stock "
    "has (`message` names the item and what is left; `extra`: `variant_id`, `available`, `requested`), too "
    "many of one item, or the cart holds the most different items it may."
)
MERGED_REFUSED = error_response(
    "`cart_merged`: a guest's cart went into their account (a sign-in in between); add again."
)
NOT_IN_CART = error_response("`not_found`: no such item in your cart (another owner's item is one).")


def _cart_body(owner: CartOwner | None) -> dict[str, Any]:
    """The owner's cart as every endpoint shows it (one query; none for a visitor with no cart)."""
    view = (
        cart_for_page(user=owner.user, guest=owner.guest)
        if owner is not None
        else CartView(cart=None, lines=[], total=ZERO)
    )
    return CartSerializer(CartAnswer.of(view)).data


class CartApi(APIView):
    permission_classes = [AllowAny, GuestSessionCsrf]

    @extend_schema(
        tags=TAGS,
        summary="Your cart, at today's prices",
        description=(
            "Each line says the price it went in at (`unit_price`), today's (`price`: what checkout charges) "
            "and whether it changed, the units `available` now and, when checkout would refuse the line, why "
            "(`stock_problem`). A visitor without a cart gets an empty one (`id` null)."
        ),
        responses={200: CartSerializer},
    )
    def get(self, request: Request) -> Response:
        return Response(_cart_body(cart_owner(request)))

    @extend_schema(
        tags=TAGS,
        summary="Put a product variant in your cart",
        description=(
            "Adds `quantity` units to what the cart holds of the variant (a new line otherwise); the line's "
            "`unit_price` becomes today's price. Stock is not held: it is checked, and taken, at checkout. A "
            "visitor's first add starts a guest cart kept in their session (cookie); signing in joins it to "
            "the account's cart."
        ),
        request=CartAddSerializer,
        responses={
            201: OpenApiResponse(CartSerializer, description="The whole cart after the add."),
            400: ITEM_REFUSED,
            403: CSRF_REFUSED,
            409: MERGED_REFUSED,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = CartAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        owner = cart_owner_or_new(request)
        services.cart_add_item(
            user=owner.user,
            guest=owner.guest,
            variant_id=serializer.validated_data["variant_id"],
            quantity=serializer.validated_data["quantity"],
            client=cart_client(request, api=True),
        )
        return Response(_cart_body(owner), status=status.HTTP_201_CREATED)


def _owner_with_a_cart(request: Request) -> CartOwner:
    owner = cart_owner(request)
    if owner is None:  # a visitor with no cart has no items
        raise NotFoundError(_("That item is not in your cart."))
    return owner


class CartItemApi(APIView):
    permission_classes = [AllowAny, GuestSessionCsrf]

    @extend_schema(
        tags=TAGS,
        summary="Change how many of an item your cart holds",
        description="`quantity` 0 takes the item out. The answer is the whole cart.",
        request=CartItemQuantitySerializer,
        responses={200: CartSerializer, 400: ITEM_REFUSED, 403: CSRF_REFUSED, 404: NOT_IN_CART, 409: MERGED_REFUSED},
    )
    def patch(self, request: Request, pk: int) -> Response:
        serializer = CartItemQuantitySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        owner = _owner_with_a_cart(request)
        services.cart_item_set_quantity(
            user=owner.user,
            guest=owner.guest,
            item_id=pk,
            quantity=serializer.validated_data["quantity"],
            client=cart_client(request, api=True),
        )
        return Response(_cart_body(owner))

    @extend_schema(
        tags=TAGS,
        summary="Take an item out of your cart",
        responses={204: OpenApiResponse(description="Taken out."), 403: CSRF_REFUSED, 404: NOT_IN_CART},
    )
    def delete(self, request: Request, pk: int) -> Response:
        owner = _owner_with_a_cart(request)
        services.cart_item_remove(user=owner.user, guest=owner.guest, item_id=pk, client=cart_client(request, api=True))
        return Response(status=status.HTTP_204_NO_CONTENT)
