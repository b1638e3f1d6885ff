"""The orders API. Thin: validate the input, call the same services as the pages, render."""

from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
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
from payments.api.card import PaymentSerializer
from payments.exceptions import PaymentDeclinedError
from payments.models import Payment, PaymentStatus, PaymentTransaction

from .. import selectors, services
from ..cache import popular_scopes
from ..exceptions import InvalidReturnError
from ..models import Order, OrderReturn
from .serializers import (
    CancellationSerializer,
    CheckoutQuoteSerializer,
    IssueCreateSerializer,
    IssueRateSerializer,
    IssueSerializer,
    OrderCancelSerializer,
    OrderCreateSerializer,
    OrderPaySerializer,
    OrderReturnSerializer,
    OrderSerializer,
    PopularEntrySerializer,
    PopularProductsQuerySerializer,
    QuoteSerializer,
    ReturnCreateSerializer,
)

BAD_ORDER = error_response(
    "`validation_error` with `fields` (also for a `shipping_address_id` that is not one of your addresses); "
    "`invalid_order` (too much of one item); `coupon_not_usable` (not yours, used, expired, or the order is "
    "under its minimum; `message` says which); `address_required` (no `shipping_address_id` and no primary "
    "address: add one with POST me/addresses/)."
)


def as_field_error(exc: services.ShippingAddressInvalidError) -> serializers.ValidationError:
    """The API's shape for a bad `shipping_address_id`: a field error, like any other bad field."""
    return serializers.ValidationError({exc.field: [str(exc.message)]})


def _order_body(*, user: User, order_id: int) -> dict[str, Any]:
    """The order as every endpoint shows it, read back fresh, so a replay is byte-for-byte the same."""
    order = selectors.order_of(user=user, order_id=order_id, with_history=False)
    if order is None:
        raise NotFoundError(_("No such order."))
    return OrderSerializer(order).data


def placed_order_response(*, user: User, placed: services.PlacedOrder) -> Response:
    """What a checkout endpoint answers: a new order (201), or the order an Idempotency-Key placed
    before (200, `Idempotent-Replayed: true`). The service hands back the whole new order (lines,
    coupon, number); a replay reads the same order back, and the two bodies are the same
    (tests/orders/test_api.py)."""
    if placed.created:
        body: dict[str, Any] = OrderSerializer(placed.order, context={"lines": placed.lines}).data
        return Response(body, status=status.HTTP_201_CREATED)
    body = _order_body(user=user, order_id=placed.order.pk)
    return Response(body, status=status.HTTP_200_OK, headers={"Idempotent-Replayed": "true"})


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
        summary="Order and pay from your wallet, or order now and pay by card",
        description=(
            "Takes the stock, uses the coupon, pays from the wallet and confirms the order in one step, "
            "or changes nothing. With `payment_method: card` the order is placed `pending` instead: its "
            "stock is held and nothing is paid until POST orders/{id}/pay/ charges a card. Prices, totals "
            "and status come from the shop, never from the request: fields other than `items`, `coupon_id`, "
            "`shipping_address_id` and `payment_method` are refused. `coupon_id` is the `id` of one of your "
            "issued coupons (GET me/coupons/), never a coupon's id from GET coupons/. The order is delivered "
            "to `shipping_address_id` (default: your primary address), copied onto the order; shipping and "
            "tax are what POST checkout/quote/ shows for the same body."
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
            201: OpenApiResponse(
                OrderSerializer, description="Placed and paid (wallet), or placed and pending (card)."
            ),
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
        try:
            placed = services.order_place(
                user=user,
                lines=[services.OrderLine(**line) for line in data["items"]],
                coupon_ref=data.get("coupon_id"),
                idempotency_key=key,
                shipping_address_id=data.get("shipping_address_id"),
                payment_method=data["payment_method"],
                **client_meta(request),
            )
        except services.ShippingAddressInvalidError as exc:
            raise as_field_error(exc) from None
        return placed_order_response(user=user, placed=placed)


class OrderPayApi(APIView):
    """Pay a pending order (placed with `payment_method: card`) with a saved card."""

    @extend_schema(
        tags=["orders"],
        summary="Pay your pending order by card",
        description=(
            "Charges one of your saved cards (`payment_method_id`, from GET payment-methods/) the order's total. "
            "The answer is the payment: `captured` (the order is `paid`), `action_required` (send the customer to "
            "`action_url` to confirm it with their bank; the order becomes `paid` when the bank says yes), or "
            "`pending` (still being confirmed: follow GET payments/{id}/ or the order). A declined card is a 402 "
            "whose `message` is the reason; nothing is charged, and another card may pay while the order's items "
            "are held. Only one payment of an order is in flight at a time: while one is, paying again answers "
            "with it (200), so a double-clicked button charges once."
        ),
        request=OrderPaySerializer,
        parameters=[
            idempotency_parameter(
                "The first request with a key starts the payment (201); the same key with the same body again "
                "returns that payment as it is now (200, `Idempotent-Replayed: true`); the same key with a "
                "different body is a 422 `idempotency_key_reused`."
            )
        ],
        responses={
            201: OpenApiResponse(PaymentSerializer, description="The payment started now, as far as it got."),
            200: OpenApiResponse(PaymentSerializer, description="The payment already started for this order."),
            400: error_response("`validation_error`; `card_expired`; `payment_method_unusable`."),
            401: UNAUTHENTICATED,
            402: error_response("`card_declined` (or the processor's code, e.g. `insufficient_funds`): `message`."),
            404: error_response("`not_found`: the order, or the card (`payment_method_id`), is not one of yours."),
            409: error_response(
                "`order_not_awaiting_payment` (paid, cancelled, or paid from the wallet); `payment_time_over` "
                "(its items are no longer held: it is being cancelled)."
            ),
            422: error_response("`idempotency_key_reused`: the key came with another body."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        serializer = OrderPaySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = idempotency_key_from(request)
        paid = services.order_pay(
            user=signed_in_user(request),
            order_id=pk,
            payment_method_id=serializer.validated_data["payment_method_id"],
            return_url=reverse("orders:payment_return", args=[pk]),
            idempotency_key=key,
            **client_meta(request),
        )
        if paid.payment.status == PaymentStatus.FAILED:
            raise PaymentDeclinedError.of(paid.payment)
        payment = (
            Payment.objects.select_related("payment_method", "order")
            .prefetch_related(Prefetch("transactions", queryset=PaymentTransaction.objects.order_by("id")))
            .get(pk=paid.payment.pk)
        )
        body = PaymentSerializer(payment).data
        if paid.created:
            return Response(body, status=status.HTTP_201_CREATED)
        replayed = key is not None and payment.idempotency_key == key
        return Response(body, status=status.HTTP_200_OK, headers={"Idempotent-Replayed": "true"} if replayed else {})


class CheckoutQuoteApi(APIView):
    @extend_schema(
        tags=["orders"],
        summary="What an order would cost: subtotal, discount, shipping, tax, total",
        description=(
            "Takes the body of POST orders/ and answers with the numbers that order would store if placed now, "
            "computed by the same code: the coupon's discount shared over the lines, shipping from the shop's "
            "rule for the destination, tax per line (after its discount) and on shipping, each rounded half up "
            "to the cent. Nothing is reserved or written. Prices, rules or the coupon may change before you "
            "order; POST orders/ computes again."
        ),
        request=CheckoutQuoteSerializer,
        responses={
            200: QuoteSerializer,
            400: BAD_ORDER,
            401: UNAUTHENTICATED,
            409: error_response("`product_unavailable`; see `extra`."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = CheckoutQuoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            quote = services.checkout_quote(
                customer=signed_in_user(request),
                lines=services.normalize_lines([services.OrderLine(**line) for line in data["items"]]),
                shipping_address_id=data.get("shipping_address_id"),
                coupon_ref=data.get("coupon_id"),
            )
        except services.ShippingAddressInvalidError as exc:
            raise as_field_error(exc) from None
        return Response(QuoteSerializer(quote).data)


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
        summary="Cancel one of your orders",
        description=(
            "Before anything ships: cancelled now (200, the order): stock goes back, the wallet is refunded in "
            "full and a coupon used becomes usable again. Once something has shipped: a request staff approve "
            "or reject (202, the cancellation request); you get an e-mail either way."
        ),
        request=OrderCancelSerializer,
        responses={
            200: OrderSerializer,
            202: OpenApiResponse(CancellationSerializer, description="Shipped: a request waiting for staff."),
            400: VALIDATION_ERROR,
            401: UNAUTHENTICATED,
            404: NOT_FOUND,
            409: error_response(
                "`not_cancellable`: delivered, or already cancelled; `cancellation_pending`: a request is waiting."
            ),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        serializer = OrderCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = signed_in_user(request)
        outcome = services.cancellation_request(
            order_id=pk,
            user=user,
            reason=serializer.validated_data["reason_code"],
            notes=serializer.validated_data["reason"],
            **client_meta(request),
        )
        if outcome.immediate:
            return Response(_order_body(user=user, order_id=pk))
        return Response(CancellationSerializer(outcome.cancellation).data, status=status.HTTP_202_ACCEPTED)


def _own_order(request: Request, pk: int) -> Order:
    order = selectors.order_of(user=signed_in_user(request), order_id=pk, with_history=False)
    if order is None:
        raise NotFoundError(_("No such order."))
    return order


class OrderIssueListCreateApi(APIView):
    @extend_schema(
        tags=["orders"],
        summary="The issues you reported about one of your orders",
        responses={200: IssueSerializer(many=True), 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        order = _own_order(request, pk)
        issues = selectors.order_issues_of(user=signed_in_user(request)).filter(order=order)
        return Response(IssueSerializer(issues, many=True).data)

    @extend_schema(
        tags=["orders"],
        summary="Report a problem with one of your orders",
        description="Damaged, missing or wrong item, late delivery or other; about some lines or the whole order.",
        request=IssueCreateSerializer,
        responses={
            201: IssueSerializer,
            400: error_response("`validation_error` with `fields`; `invalid_items`: a line of another order."),
            401: UNAUTHENTICATED,
            404: NOT_FOUND,
            409: error_response("`order_not_paid`."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        serializer = IssueCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = signed_in_user(request)
        data = serializer.validated_data
        issue = services.issue_report(
            order_id=pk,
            user=user,
            issue_type=data["issue_type"],
            description=data["description"],
            urgency=data["urgency"],
            item_ids=data["item_ids"],
            **client_meta(request),
        )
        body = IssueSerializer(selectors.order_issue_of(user=user, issue_id=issue.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)


class IssueDetailApi(APIView):
    def _issue_body(self, request: Request, pk: int) -> dict[str, Any]:
        issue = selectors.order_issue_of(user=signed_in_user(request), issue_id=pk)
        if issue is None:
            raise NotFoundError(_("No such issue."))
        return IssueSerializer(issue).data

    @extend_schema(
        tags=["orders"],
        summary="One of your issues",
        responses={200: IssueSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(self._issue_body(request, pk))

    @extend_schema(
        tags=["orders"],
        summary="Rate the answer to one of your issues",
        description=(
            "Only `customer_satisfaction`, and only once the issue is resolved (you may change it). "
            "A body without it changes nothing."
        ),
        request=IssueRateSerializer,
        responses={
            200: IssueSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHENTICATED,
            404: NOT_FOUND,
            409: error_response("`issue_not_resolved`."),
        },
    )
    def patch(self, request: Request, pk: int) -> Response:
        serializer = IssueRateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        body = self._issue_body(request, pk)  # another customer's issue is a 404 before anything
        if "customer_satisfaction" not in serializer.validated_data:
            return Response(body)
        services.issue_rate(
            issue_id=pk, user=signed_in_user(request), satisfaction=serializer.validated_data["customer_satisfaction"]
        )
        return Response(self._issue_body(request, pk))


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


# --- returns (RMA) ----------------------------------------------------------------------------


class OrderReturnListCreateApi(generics.GenericAPIView):
    serializer_class = OrderReturnSerializer

    def get_queryset(self) -> QuerySet[OrderReturn]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return OrderReturn.objects.none()
        user = signed_in_user(self.request)
        if not selectors.orders_of(user=user).filter(pk=self.kwargs["pk"]).exists():
            raise NotFoundError(_("No such order."))
        return selectors.returns_of(user=user, order_id=self.kwargs["pk"])

    @extend_schema(
        tags=["returns"],
        summary="The returns of one of your orders, newest first",
        responses={200: OrderReturnSerializer(many=True), 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(OrderReturnSerializer(page, many=True).data)

    @extend_schema(
        tags=["returns"],
        summary="Ask to return delivered items of one of your orders",
        description=(
            "Only delivered items, within the return window (ORDER_RETURN_WINDOW_DAYS after delivery), and "
            "never more of an item than you bought less what is already returned or being returned. Staff "
            "then approve or reject it; once the items are back and inspected, the refund goes to the "
            "original payment or to your wallet as store credit."
        ),
        request=ReturnCreateSerializer,
        responses={
            201: OrderReturnSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHENTICATED,
            404: NOT_FOUND,
            409: error_response(
                "`return_not_allowed` (not delivered, or the window closed; `extra.why`), "
                "`return_quantity_exceeded` (`extra.returnable`)."
            ),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        serializer = ReturnCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = signed_in_user(request)
        try:
            rma = services.return_request(
                order_id=pk,
                user=user,
                lines=[services.ReturnLine(**line) for line in data["items"]],
                reason=data["reason"],
                reason_text=data["reason_text"],
                destination=data["destination"],
                **client_meta(request),
            )
        except InvalidReturnError as exc:  # a field the service judged: the API's field errors
            raise serializers.ValidationError(
                {exc.extra.get("field", "non_field_errors"): [str(exc.message)]}
            ) from None
        body = OrderReturnSerializer(selectors.return_of(user=user, return_id=rma.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)


class ReturnDetailApi(APIView):
    @extend_schema(
        tags=["returns"],
        summary="One of your returns",
        responses={200: OrderReturnSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        rma = selectors.return_of(user=signed_in_user(request), return_id=pk)
        if rma is None:
            raise NotFoundError(_("No such return."))
        return Response(OrderReturnSerializer(rma).data)
