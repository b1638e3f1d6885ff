"""The card API: a payment's status, the processors' webhooks, and the sandbox's token API.

Thin: the services in payments.services.card / .webhooks hold the rules.
"""

from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.request import signed_in_user
from common.api.schema import NOT_FOUND, UNAUTHENTICATED, VALIDATION_ERROR, error_response
from common.api.serializers import MoneyField
from common.exceptions import NotFoundError
from common.http import client_address
from payments.exceptions import WebhookRejectedError
from payments.gateways import WebhookSignatureError
from payments.gateways.sandbox import CardInvalidError, sandbox_tokenize
from payments.models import Payment, PaymentStatus, PaymentTransaction
from payments.services.webhooks import ALREADY_APPLIED, webhook_receipt

# --- a payment ----------------------------------------------------------------------------------


class PaymentTransactionSerializer(serializers.ModelSerializer):
    amount = MoneyField(read_only=True)

    class Meta:
        model = PaymentTransaction
        fields = ["transaction_type", "amount", "currency", "status", "response_code", "response_message", "created_at"]
        read_only_fields = fields


class PaymentMethodSummarySerializer(serializers.Serializer):
    brand = serializers.CharField()
    last4 = serializers.CharField()


class PaymentSerializer(serializers.ModelSerializer):
    amount = MoneyField(read_only=True)
    captured_amount = MoneyField(read_only=True)
    refunded_amount = MoneyField(read_only=True)
    status = serializers.ChoiceField(choices=PaymentStatus.choices, read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    payment_method = PaymentMethodSummarySerializer(read_only=True, allow_null=True)
    order_number = serializers.CharField(source="order.order_number", read_only=True, allow_null=True, default=None)
    action_url = serializers.CharField(
        read_only=True, help_text="Where the customer confirms the payment while it is action_required; else empty."
    )
    transactions = PaymentTransactionSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "purpose",
            "order_number",
            "status",
            "status_display",
            "amount",
            "captured_amount",
            "refunded_amount",
            "currency",
            "payment_method",
            "failure_code",
            "failure_message",
            "action_url",
            "created_at",
            "authorized_at",
            "captured_at",
            "transactions",
        ]
        read_only_fields = fields


class PaymentDetailApi(generics.RetrieveAPIView):
    serializer_class = PaymentSerializer

    def get_queryset(self) -> QuerySet[Payment]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return Payment.objects.none()
        return (
            Payment.objects.filter(user=signed_in_user(self.request))
            .select_related("payment_method", "order")
            .prefetch_related(Prefetch("transactions", queryset=PaymentTransaction.objects.order_by("id")))
        )

    @extend_schema(
        tags=["payments"],
        summary="One of the signed-in customer's payments",
        description="Another customer's payment is a 404, as is one that does not exist.",
        responses={200: PaymentSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


# --- webhooks ----------------------------------------------------------------------------------------


class WebhookResultSerializer(serializers.Serializer):
    event_id = serializers.CharField()
    outcome = serializers.CharField(help_text='What the event did; "already applied" for a replay.')


class WebhookApi(APIView):
    """A processor's webhook: no sign-in and no CSRF (the HMAC signature over the raw body is the
    proof of origin), so the body is read as bytes, never parsed before it is verified."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    parser_classes: list[Any] = []

    @extend_schema(
        tags=["webhooks"],
        summary="A payment processor's signed event",
        description="Signed with HMAC-SHA256 over `<timestamp>.<body>` (header `Sandbox-Signature: t=…,v1=…` "
        "for the sandbox). Each event id is applied once: a replay is answered 200 with "
        '`"outcome": "already applied"` and changes nothing.',
        request={"application/json": {"type": "object"}},
        responses={
            200: WebhookResultSerializer,
            400: error_response("`webhook_rejected`: bad signature, too old, or not an event; nothing changed."),
            404: NOT_FOUND,
        },
        auth=[],
    )
    def post(self, request: Request, gateway: str) -> Response:
        if gateway not in settings.PAYMENT_GATEWAYS:
            raise NotFoundError()
        try:
            receipt = webhook_receipt(
                gateway_code=gateway,
                body=request.body,
                headers=dict(request.headers),
                ip_address=client_address(request),
            )
        except WebhookSignatureError:
            raise WebhookRejectedError() from None
        outcome = ALREADY_APPLIED if receipt.replayed else receipt.event.outcome
        return Response({"event_id": receipt.event.event_id, "outcome": outcome}, status=status.HTTP_200_OK)


# --- the sandbox processor's token API -----------------------------------------------------------


class SandboxCardSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=23, write_only=True, help_text="A test card number.")
    exp_month = serializers.IntegerField(min_value=1, max_value=12)
    exp_year = serializers.IntegerField(min_value=0, max_value=9999)
    cvc = serializers.CharField(max_length=4, write_only=True)


class SandboxTokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    brand = serializers.CharField()
    last4 = serializers.CharField()
    exp_month = serializers.IntegerField()
    exp_year = serializers.IntegerField()


class SandboxTokenApi(APIView):
    """The sandbox processor's tokenisation for mobile clients: a card in, a token out (then
    `POST payment-methods/` with the token). The number and the CVC are never stored or echoed."""

    @extend_schema(
        tags=["sandbox"],
        summary="Turn a sandbox test card into a token",
        request=SandboxCardSerializer,
        responses={
            201: OpenApiResponse(SandboxTokenSerializer, description="The card's token."),
            400: VALIDATION_ERROR,
            401: UNAUTHENTICATED,
        },
    )
    def post(self, request: Request) -> Response:
        if "sandbox" not in settings.PAYMENT_GATEWAYS:
            raise NotFoundError()
        serializer = SandboxCardSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            card = sandbox_tokenize(
                number=data["number"], exp_month=data["exp_month"], exp_year=data["exp_year"], cvc=data["cvc"]
            )
        except CardInvalidError as exc:
            raise serializers.ValidationError({exc.field: [str(exc.message)]}) from None
        return Response(SandboxTokenSerializer(card).data, status=status.HTTP_201_CREATED)
