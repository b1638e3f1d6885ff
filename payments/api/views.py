"""The wallet API. Thin: a serializer checks the input, the same services as the pages do the work."""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.request import signed_in_user
from common.api.idempotency import idempotency_key_from, idempotency_parameter
from common.api.schema import UNAUTHENTICATED, VALIDATION_ERROR, error_response
from common.http import client_meta
from payments import selectors, services
from payments.exceptions import PaymentDeclinedError, PaymentMethodRequiredError
from payments.models import PaymentStatus, WalletEntry
from payments.services.topups import wallet_topup_start

from .parsers import DecimalJSONParser
from .serializers import (
    WalletChargeResultSerializer,
    WalletChargeSerializer,
    WalletEntrySerializer,
    WalletSerializer,
)


class WalletApi(APIView):
    @extend_schema(
        tags=["wallet"],
        summary="The signed-in customer's wallet balance",
        responses={200: WalletSerializer, 401: UNAUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        return Response(WalletSerializer(selectors.wallet_of(user=signed_in_user(request))).data)


class WalletChargeApi(APIView):
    # JSON only, like the rest of the API (a form body is a 415). JSON numbers are read as
    # Decimal: an amount never passes through a float.
    parser_classes = [DecimalJSONParser]

    @extend_schema(
        tags=["wallet"],
        summary="Top up the wallet",
        description="With `payment_method_id`, charges that saved card through the card gateway, then "
        "credits the wallet (a `charge` entry linked to the payment): 201 when the card was charged, "
        "202 while the payment waits (`payment.action_url`: the customer confirms it with their bank; "
        "then the wallet is credited), 402 `card_declined` (or the processor's code) with the reason "
        "when the card was declined: nothing was charged. Without it, a free top-up (the demo "
        "setting WALLET_FREE_TOPUP; else 400 `payment_method_required`): the balance and the entry, "
        "both or neither.",
        request=WalletChargeSerializer,
        parameters=[
            idempotency_parameter(
                "The first request with a key tops up (201); the same key with the same body again returns "
                "that top-up (200, or 202 while its payment waits; same body, `Idempotent-Replayed: true`) and "
                "charges nothing; the same key with another body is a 422 `idempotency_key_reused`."
            )
        ],
        responses={
            201: OpenApiResponse(WalletChargeResultSerializer, description="Topped up."),
            202: OpenApiResponse(
                WalletChargeResultSerializer,
                description="The card payment waits: for the customer's confirmation (`payment.action_url`) or "
                "for the processor's answer. The wallet is credited when it is captured.",
            ),
            200: OpenApiResponse(
                WalletChargeResultSerializer, description="A replay of an earlier Idempotency-Key: that top-up."
            ),
            400: VALIDATION_ERROR,
            401: UNAUTHENTICATED,
            402: error_response("`card_declined` (or the processor's code): the card was declined; nothing charged."),
            404: error_response("`not_found`: `payment_method_id` is not one of your saved cards."),
            422: error_response("`idempotency_key_reused`: the key came with another body."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = WalletChargeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = idempotency_key_from(request)
        user, amount = signed_in_user(request), serializer.validated_data["amount"]
        method_id = serializer.validated_data.get("payment_method_id")
        if method_id is not None:
            return self._paid(request, amount=amount, method_id=method_id, key=key)
        if not settings.WALLET_FREE_TOPUP:
            raise PaymentMethodRequiredError()
        if key is None:
            charged = services.Charged(entry=services.wallet_charge(user=user, amount=amount), created=True)
        else:
            charged = services.wallet_charge_once(user=user, amount=amount, idempotency_key=key)
        entry = charged.entry
        body = {"entry": entry, "payment": None, "balance": entry.balance_after, "currency": entry.wallet.currency}
        return self._answer(body, status.HTTP_201_CREATED if charged.created else status.HTTP_200_OK, charged.created)

    def _paid(self, request: Request, *, amount: Decimal, method_id: int, key: str | None) -> Response:
        user = signed_in_user(request)
        topup = wallet_topup_start(
            user=user, amount=amount, payment_method_id=method_id, idempotency_key=key, **client_meta(request)
        )
        payment = topup.payment
        if payment.status in (PaymentStatus.FAILED, PaymentStatus.VOIDED):
            raise PaymentDeclinedError.of(payment)
        wallet = selectors.wallet_of(user=user)
        body = {"entry": topup.entry, "payment": payment, "balance": wallet.balance, "currency": wallet.currency}
        code: int = status.HTTP_201_CREATED
        if topup.entry is None:
            code = status.HTTP_202_ACCEPTED
        elif topup.replayed:
            code = status.HTTP_200_OK
        return self._answer(body, code, not topup.replayed)

    @staticmethod
    def _answer(body: dict[str, Any], code: int, created: bool) -> Response:
        response = Response(WalletChargeResultSerializer(body).data, status=code)
        if not created:
            response["Idempotent-Replayed"] = "true"
        return response


class WalletEntryListApi(generics.ListAPIView):
    serializer_class = WalletEntrySerializer

    def get_queryset(self) -> QuerySet[WalletEntry]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return WalletEntry.objects.none()
        return selectors.wallet_entries_of(user=signed_in_user(self.request))

    @extend_schema(
        tags=["wallet"],
        summary="The wallet's ledger, newest first",
        responses={200: WalletEntrySerializer(many=True), 401: UNAUTHENTICATED},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
