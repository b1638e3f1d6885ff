"""The wallet API. Thin: a serializer checks the input, the same services as the pages do the work."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.request import signed_in_user
from common.api.idempotency import idempotency_key_from, idempotency_parameter
from common.api.schema import UNAUTHENTICATED, VALIDATION_ERROR, error_response
from payments import selectors, services
from payments.models import WalletEntry

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
        description="Adds the amount to the balance and a `charge` entry to the ledger: both, or neither.",
        request=WalletChargeSerializer,
        parameters=[
            idempotency_parameter(
                "The first request with a key tops up (201); the same key with the same amount again returns "
                "that top-up (200, same body, `Idempotent-Replayed: true`) and adds nothing; the same key with "
                "another amount is a 422 `idempotency_key_reused`."
            )
        ],
        responses={
            201: OpenApiResponse(WalletChargeResultSerializer, description="Topped up."),
            200: OpenApiResponse(
                WalletChargeResultSerializer, description="A replay of an earlier Idempotency-Key: that top-up."
            ),
            400: VALIDATION_ERROR,
            401: UNAUTHENTICATED,
            422: error_response("`idempotency_key_reused`: the key came with another amount."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = WalletChargeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = idempotency_key_from(request)
        user, amount = signed_in_user(request), serializer.validated_data["amount"]
        if key is None:
            charged = services.Charged(entry=services.wallet_charge(user=user, amount=amount), created=True)
        else:
            charged = services.wallet_charge_once(user=user, amount=amount, idempotency_key=key)
        entry = charged.entry
        body = {"entry": entry, "balance": entry.balance_after, "currency": entry.wallet.currency}
        response = Response(
            WalletChargeResultSerializer(body).data,
            status=status.HTTP_201_CREATED if charged.created else status.HTTP_200_OK,
        )
        if not charged.created:
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
