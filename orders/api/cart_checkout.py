"""`POST cart/checkout/`: order everything in the cart. The cart's path, the orders API's code:
checkout lives in orders, which may import carts (never the other way round, DESIGN.md)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.request import signed_in_user
from carts.api.permissions import CustomerRequired
from common.api.idempotency import idempotency_key_from, idempotency_parameter
from common.api.schema import error_response
from common.api.serializers import BIGINT_MAX, RejectUnknownFieldsMixin, StrictIntegerField, StrictJSONTypesMixin
from common.http import client_meta
from payments.models import PaymentMethodType

from ..models import SPECIAL_INSTRUCTIONS_MAX_LENGTH
from ..services import ShippingAddressInvalidError, order_place_from_cart
from .serializers import CheckoutPaymentMethodField, OrderSerializer
from .views import as_field_error, placed_order_response

TAGS = ["cart"]


class CartCheckoutSerializer(RejectUnknownFieldsMixin, StrictJSONTypesMixin, serializers.Serializer):
    """The cart-relevant fields of POST orders/: the lines are the cart's."""

    coupon_id = StrictIntegerField(
        min_value=1,
        max_value=BIGINT_MAX,
        required=False,
        allow_null=True,
        help_text=_(
            "The `id` of one of your issued coupons (GET me/coupons/). Another customer's, a used or expired "
            "one, or any other number is a 400 `coupon_not_usable`."
        ),
    )
    shipping_address_id = StrictIntegerField(
        min_value=1,
        max_value=BIGINT_MAX,
        required=False,
        allow_null=True,
        help_text=_(
            "The `id` of one of your addresses (GET me/addresses/); omitted or null: your primary address. "
            "No address at all is a 400 `address_required`; another's a 400 `validation_error` on this field."
        ),
    )
    payment_method = CheckoutPaymentMethodField(
        required=False,
        default=PaymentMethodType.WALLET.value,
        help_text=_(
            "`wallet` (the default): paid from your wallet at once. `card`: the order is `pending`, its items "
            "held for a few minutes; pay it with POST orders/{id}/pay/."
        ),
    )
    special_instructions = serializers.CharField(
        max_length=SPECIAL_INSTRUCTIONS_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("A note for the seller (delivery hints)."),
    )


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
            raise as_field_error(exc) from None
        return placed_order_response(user=user, placed=placed)
