"""The cart API. Thin: check the input, call the same services as the cart page, render the cart.

Who: a JWT client is a customer; a session client that is not signed in is the session's guest
(`carts.request`), its writes CSRF-checked (`permissions.GuestSessionCsrf`). A visitor with no
session reads an empty cart without getting one; their first add makes the guest and the session.
Checkout needs a customer.
"""

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.request import signed_in_user
from common.api.idempotency import idempotency_key_from, idempotency_parameter
from common.api.schema import error_response
from common.exceptions import NotFoundError
from common.http import client_meta
from common.money import ZERO
from orders import selectors as order_selectors
from orders.api.serializers import OrderSerializer
from orders.services import ShippingAddressInvalidError, order_place_from_cart

from .. import services
from ..request import CartOwner, cart_client, cart_owner, cart_owner_or_new
from ..selectors import CartView, cart_for_page
from .permissions import CustomerRequired, GuestSessionCsrf
from .serializers import (
    CartAddSerializer,
    CartAnswer,
    CartCheckoutSerializer,
    CartItemQuantitySerializer,
    CartSerializer,
)

TAGS = ["cart"]
CSRF_REFUSED = error_response(
    "`permission_denied`: a session (cookie) request that is not signed in sent no valid CSRF token "
    "(`X-CSRFToken` header matching the `csrftoken` cookie). Apps use a bearer token instead."
)
ITEM_REFUSED = error_response(
    "`validation_error` with `fields`; `cart_item_invalid`: the variant is not for sale, too many of one "
    "item, or the cart holds the most different items it may."
)
STOCK_REFUSED = error_response("Not that many left: `message` names the item and what is left.")
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
            409: STOCK_REFUSED,
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
        responses={200: CartSerializer, 400: ITEM_REFUSED, 403: CSRF_REFUSED, 404: NOT_IN_CART, 409: STOCK_REFUSED},
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


class CartCheckoutApi(APIView):
    permission_classes = [CustomerRequired]

    @extend_schema(
        tags=TAGS,
        summary="Order everything in your cart",
        description=(
            "POST orders/ with the cart's lines: takes the stock, uses the coupon and pays from the wallet in "
            "one step (or, with `payment_method: card`, places the order `pending` for POST orders/{id}/pay/), "
            "and closes the cart; or changes nothing, the cart included. Checkout needs an account: a guest is "
            "a 401 and keeps the cart, which joins the account's cart on sign-in."
        ),
        request=CartCheckoutSerializer,
        parameters=[
            idempotency_parameter(
                "The first request with a key places the order (201); the same key again returns that order "
                "(200, same body, `Idempotent-Replayed: true`), even while the first is still running; the same "
                "key with a different body or cart is a 422 `idempotency_key_reused`. Without a key a double "
                "submit finds the cart empty (400 `cart_empty`)."
            )
        ],
        responses={
            201: OpenApiResponse(OrderSerializer, description="Placed and paid (wallet), or pending (card)."),
            200: OpenApiResponse(OrderSerializer, description="A replay of an earlier Idempotency-Key: that order."),
            400: error_response(
                "`cart_empty`; `validation_error` with `fields` (also for a `shipping_address_id` that is not one "
                "of your addresses); `invalid_order`; `coupon_not_usable`; `address_required`."
            ),
            401: error_response("`not_authenticated`: checkout needs an account; sign in (the cart is kept)."),
            402: error_response("`insufficient_balance`: top up the wallet."),
            409: error_response("`insufficient_stock` or `product_unavailable`; see `extra`."),
            422: error_response("`idempotency_key_reused`: the key came with another body or cart."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = CartCheckoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = idempotency_key_from(request)
        user = signed_in_user(request)
        data = serializer.validated_data
        try:
            placed = order_place_from_cart(
                user=user,
                coupon_ref=data.get("coupon_id"),
                idempotency_key=key,
                special_instructions=data["special_instructions"],
                shipping_address_id=data.get("shipping_address_id"),
                payment_method=data["payment_method"],
                **client_meta(request),
            )
        except ShippingAddressInvalidError as exc:
            raise serializers.ValidationError({exc.field: [str(exc.message)]}) from None
        if placed.created:
            body = OrderSerializer(placed.order, context={"lines": placed.lines}).data
            return Response(body, status=status.HTTP_201_CREATED)
        order = order_selectors.order_of(user=user, order_id=placed.order.pk, with_history=False)
        return Response(OrderSerializer(order).data, status=status.HTTP_200_OK, headers={"Idempotent-Replayed": "true"})
