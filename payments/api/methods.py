"""The saved payment methods API (`payment-methods/`). Thin: a serializer checks the input, the
services of `payments.services.methods` do the work. A method is found through the signed-in
customer, so another customer's id is a 404.

A card is saved from a token of the card gateway (the sandbox's `POST /api/v1/sandbox/tokens/`
for mobile clients): the card number goes to the gateway, never to this API.
"""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import CountryCodeField
from accounts.exceptions import FieldError
from accounts.request import signed_in_user
from common.api.schema import NOT_FOUND, UNAUTHENTICATED, VALIDATION_ERROR, error_response
from common.api.serializers import StrictJSONTypesMixin
from common.http import client_meta
from payments import selectors
from payments.models import PaymentMethod
from payments.services.methods import (
    BILLING_FIELDS,
    payment_method_add,
    payment_method_make_default,
    payment_method_remove,
)


class PaymentMethodSerializer(serializers.ModelSerializer):
    billing_country = CountryCodeField(read_only=True)
    is_expired = serializers.BooleanField(read_only=True, help_text=_("An expired card cannot pay."))

    class Meta:
        model = PaymentMethod
        fields = [
            "id",
            "method_type",
            "brand",
            "last4",
            "exp_month",
            "exp_year",
            *BILLING_FIELDS,
            "is_default",
            "is_expired",
            "created_at",
        ]
        read_only_fields = fields


class PaymentMethodCreateSerializer(StrictJSONTypesMixin, serializers.ModelSerializer):
    token = serializers.CharField(
        max_length=128,
        help_text=_("The card gateway's token for the card (the sandbox: `POST /api/v1/sandbox/tokens/`)."),
    )
    billing_country = CountryCodeField(required=False, allow_blank=True)
    is_default = serializers.BooleanField(
        default=False, help_text=_("Make it the default card. The first card is the default anyway.")
    )

    class Meta:
        model = PaymentMethod
        fields = ["token", *BILLING_FIELDS, "is_default"]


class _FieldErrorsAsValidation:
    # A service's FieldError (billing fields) renders as a serializer's 400 with `fields`.

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, FieldError):
            exc = exceptions.ValidationError(exc.fields)
        return super().handle_exception(exc)  # type: ignore[misc]  # mixin: APIView after it defines it


class PaymentMethodListCreateApi(_FieldErrorsAsValidation, generics.ListAPIView):
    serializer_class = PaymentMethodSerializer

    def get_queryset(self) -> QuerySet[PaymentMethod]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return PaymentMethod.objects.none()
        return selectors.payment_methods_of(user=signed_in_user(self.request))

    @extend_schema(
        tags=["payment methods"],
        summary="Your saved cards, the default first",
        description="Removed cards are left out; an expired one is listed with `is_expired: true`.",
        responses={200: PaymentMethodSerializer(many=True), 401: UNAUTHENTICATED},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["payment methods"],
        summary="Save a card",
        description="Saves the card behind a gateway token, with its billing address. A token saves one "
        "card, once: the same token again is a 409 `card_token_used`.",
        request=PaymentMethodCreateSerializer,
        responses={
            201: PaymentMethodSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHENTICATED,
            409: error_response("`card_token_used`: that token was already saved."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = PaymentMethodCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        method = payment_method_add(
            user=signed_in_user(request),
            token=data["token"],
            billing={name: data[name] for name in BILLING_FIELDS if name in data},
            make_default=data["is_default"],
            **client_meta(request),
        )
        return Response(PaymentMethodSerializer(method).data, status=status.HTTP_201_CREATED)


class PaymentMethodDetailApi(APIView):
    @extend_schema(
        tags=["payment methods"],
        summary="One of your saved cards",
        responses={200: PaymentMethodSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request: Request, method_id: int) -> Response:
        method = selectors.payment_method_of(user=signed_in_user(request), method_id=method_id)
        return Response(PaymentMethodSerializer(method).data)

    @extend_schema(
        tags=["payment methods"],
        summary="Remove a saved card",
        description="Removing the default card makes your newest other card that can pay the default.",
        responses={204: None, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def delete(self, request: Request, method_id: int) -> Response:
        payment_method_remove(user=signed_in_user(request), method_id=method_id, **client_meta(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PaymentMethodDefaultApi(APIView):
    @extend_schema(
        tags=["payment methods"],
        summary="Make this your default card",
        request=None,
        responses={
            200: PaymentMethodSerializer,
            400: error_response("`card_expired`: an expired card cannot be the default."),
            401: UNAUTHENTICATED,
            404: NOT_FOUND,
        },
    )
    def post(self, request: Request, method_id: int) -> Response:
        method = payment_method_make_default(user=signed_in_user(request), method_id=method_id, **client_meta(request))
        return Response(PaymentMethodSerializer(method).data)
