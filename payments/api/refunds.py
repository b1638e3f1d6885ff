"""The refunds API: customers read their refunds, staff read every refund and give money back.
Thin: a serializer checks the input, `payments.services.refunds.refund_request` does the work."""

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.request import signed_in_user
from common.api.idempotency import idempotency_key_from, idempotency_parameter
from common.api.schema import NOT_FOUND, UNAUTHENTICATED, error_response
from common.api.serializers import MoneyField, RejectUnknownFieldsMixin, StrictJSONTypesMixin
from common.exceptions import NotFoundError
from common.money import MoneyInputError, money_input, money_text_pattern
from payments import selectors
from payments.exceptions import RefundExceedsPaymentError
from payments.models import Refund, RefundDestination, RefundStatus, RefundTransaction, TransactionStatus
from payments.services.refunds import refund_request

REFUND_MAX = Decimal("99999999.99")  # the money column's largest value; the cap is checked by the service
NOT_STAFF = error_response("`permission_denied`: only staff who may refund can do this.")


# --- shapes -------------------------------------------------------------------------------------


class RefundTransactionSerializer(serializers.ModelSerializer):
    amount = MoneyField(read_only=True)
    status = serializers.ChoiceField(choices=TransactionStatus.choices, read_only=True)

    class Meta:
        model = RefundTransaction
        fields = ["transaction_id", "amount", "currency", "status", "response_code", "response_message", "created_at"]
        read_only_fields = fields


class RefundSerializer(serializers.ModelSerializer):
    payment_id = serializers.IntegerField(read_only=True)
    order_number = serializers.CharField(source="order.order_number", read_only=True)
    amount = MoneyField(read_only=True)
    status = serializers.ChoiceField(
        choices=RefundStatus.choices,
        read_only=True,
        help_text=_(
            "`pending` and `processing`: on its way back to the card (counted as given back already); "
            "`completed`; `failed`: the card's processor refused it, nothing was given back."
        ),
    )
    destination = serializers.ChoiceField(
        choices=RefundDestination.choices,
        read_only=True,
        help_text=_("`original`: back to the payment (the card, or the wallet it came from); `wallet`: store credit."),
    )
    failure_message = serializers.CharField(read_only=True, help_text=_("Why it failed; empty otherwise."))

    class Meta:
        model = Refund
        fields = [
            "id",
            "payment_id",
            "order_number",
            "amount",
            "currency",
            "destination",
            "status",
            "reason",
            "failure_message",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RefundDetailSerializer(RefundSerializer):
    transactions = RefundTransactionSerializer(many=True, read_only=True, help_text=_("The calls to the processor."))

    class Meta(RefundSerializer.Meta):
        fields = [*RefundSerializer.Meta.fields, "transactions"]
        read_only_fields = fields


@extend_schema_field(
    {
        "type": "string",
        "pattern": money_text_pattern(REFUND_MAX),
        "example": "12.50",
        "description": "A positive amount with at most two decimals, as a decimal string: at most what is left "
        "of the payment.",
    }
)
class RefundAmountField(serializers.Field):
    # A positive amount with at most two decimals, as a decimal string ("12.50"), by the one rule
    # for typed amounts (`common.money.money_input`); a JSON number is read as a Decimal too.

    def to_internal_value(self, data: Any) -> Decimal:
        try:
            return money_input(data, maximum=REFUND_MAX)
        except MoneyInputError as exc:
            message = exc.message if "max" not in exc.extra else _("Enter an amount such as 25.00.")
            raise serializers.ValidationError(str(message), code=exc.code) from None

    def to_representation(self, value: Decimal) -> str:
        return str(value)


class RefundCreateSerializer(RejectUnknownFieldsMixin, StrictJSONTypesMixin, serializers.Serializer):
    payment_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    amount = RefundAmountField()
    reason = serializers.CharField(max_length=255, help_text=_("Why the money is given back."))
    destination = serializers.ChoiceField(
        choices=RefundDestination.choices,
        required=False,
        default=RefundDestination.ORIGINAL,
        help_text=_("`original` (default): back to the card or wallet it came from; `wallet`: store credit."),
    )


# --- who sees what ------------------------------------------------------------------------------


def _may_see_all(user: User) -> bool:
    return user.is_staff and user.has_perm("payments.view_refund")


def _may_refund(user: User) -> bool:
    return user.is_staff and user.has_perm("payments.add_refund")


# --- endpoints ----------------------------------------------------------------------------------


class RefundListCreateApi(generics.GenericAPIView):
    serializer_class = RefundSerializer

    def get_queryset(self) -> QuerySet[Refund]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return Refund.objects.none()
        user = signed_in_user(self.request)
        return selectors.refunds_visible_to(user=user, everyone=_may_see_all(user))

    @extend_schema(
        tags=["refunds"],
        summary="Refunds, newest first",
        description="Your refunds (money given back for your orders); staff who may see refunds see everyone's.",
        responses={200: RefundSerializer(many=True), 401: UNAUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(RefundSerializer(page, many=True).data)

    @extend_schema(
        tags=["refunds"],
        summary="Give money back from a payment (staff)",
        description=(
            "To the original payment (a card: through its processor; the answer is `pending` and becomes "
            "`completed` or `failed` shortly after) or as store credit to the customer's wallet (`completed` at "
            "once). Never more than is left of the payment: what it took less every refund so far, those on "
            "their way included. The same cap holds for cancellations, returns and issue compensation."
        ),
        request=RefundCreateSerializer,
        parameters=[
            idempotency_parameter(
                "The first request with a key makes the refund (201); the same key with the same body again "
                "returns that refund (200, `Idempotent-Replayed: true`) and gives nothing more back; the same key "
                "with another body is a 422 `idempotency_key_reused`. Keys are per payment."
            )
        ],
        responses={
            201: OpenApiResponse(RefundSerializer, description="Refund made (or on its way to the card)."),
            200: OpenApiResponse(RefundSerializer, description="A replay of an earlier Idempotency-Key: that refund."),
            400: error_response(
                "`validation_error`: a field is not valid, the payment does not exist, or `amount` is more than is "
                "left of the payment (the message says how much is left)."
            ),
            401: UNAUTHENTICATED,
            403: NOT_STAFF,
            409: error_response("`refund_not_allowed`: the payment is not an order's (a wallet top-up)."),
            422: error_response("`idempotency_key_reused`: the key came with another body."),
        },
    )
    def post(self, request: Request) -> Response:
        staff = signed_in_user(request)
        if not _may_refund(staff):
            raise PermissionDenied(_("Only staff who may refund can do this."))
        serializer = RefundCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        key = idempotency_key_from(request)
        try:
            requested = refund_request(
                payment_id=data["payment_id"],
                amount=data["amount"],
                reason=data["reason"],
                actor=staff,
                destination=data["destination"],
                idempotency_key=key,
            )
        except NotFoundError:
            raise serializers.ValidationError({"payment_id": [_("No such payment.")]}) from None
        except RefundExceedsPaymentError as exc:
            raise serializers.ValidationError({"amount": [str(exc.message)]}) from None
        # Read back with its order: a replay's body is the same as the first answer's.
        refund = selectors.refunds_visible_to(user=staff, everyone=True).get(pk=requested.refund.pk)
        body = RefundSerializer(refund).data
        if requested.created:
            return Response(body, status=status.HTTP_201_CREATED)
        return Response(body, status=status.HTTP_200_OK, headers={"Idempotent-Replayed": "true"})


class RefundDetailApi(APIView):
    @extend_schema(
        tags=["refunds"],
        summary="One refund, with the calls made to the card's processor",
        responses={200: RefundDetailSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        user = signed_in_user(request)
        refund = (
            selectors.refunds_visible_to(user=user, everyone=_may_see_all(user))
            .prefetch_related("transactions")
            .filter(pk=pk)
            .first()
        )
        if refund is None:
            raise NotFoundError(_("No such refund."))
        return Response(RefundDetailSerializer(refund).data)
