"""The coupon API. Thin: the same selectors and claim service as the pages."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.request import signed_in_user
from common.api.schema import UNAUTHENTICATED, error_response
from common.exceptions import NotFoundError
from promotions import selectors, services
from promotions.models import Coupon, IssuedCoupon, IssuedCouponState

from .serializers import ClaimableCouponSerializer, IssuedCouponSerializer


class CouponListApi(generics.ListAPIView):
    serializer_class = ClaimableCouponSerializer

    def get_queryset(self) -> QuerySet[Coupon]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return Coupon.objects.none()
        return selectors.coupons_claimable(user=signed_in_user(self.request))

    @extend_schema(
        tags=["coupons"],
        summary="Coupons that can be claimed now",
        description=(
            "Live coupons (active, started, not expired), newest first, with how many are left "
            "(`remaining_quantity` 0: sold out) and whether you already hold one (`claimed_by_me`)."
        ),
        responses={200: ClaimableCouponSerializer(many=True), 401: UNAUTHENTICATED},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class CouponClaimApi(APIView):
    @extend_schema(
        tags=["coupons"],
        summary="Claim a coupon",
        description="First come, first served: one per customer while any are left.",
        request=None,
        responses={
            201: IssuedCouponSerializer,
            401: UNAUTHENTICATED,
            404: error_response("No such coupon (`not_found`)."),
            409: error_response(
                "`sold_out`, `already_claimed`, or `not_claimable` (paused, ended, not started, expired)."
            ),
        },
    )
    def post(self, request: Request, coupon_id: int) -> Response:
        user = signed_in_user(request)
        claimed = services.coupon_claim(coupon_id=coupon_id, user=user)
        # Read back through the owner: the answer carries the state and the quantity now left.
        issued = selectors.issued_coupon_of(user=user, issued_coupon_id=claimed.pk)
        if issued is None:  # pragma: no cover - just created in a committed transaction
            raise NotFoundError()
        return Response(IssuedCouponSerializer(issued).data, status=status.HTTP_201_CREATED)


class MyCouponListApi(generics.ListAPIView):
    serializer_class = IssuedCouponSerializer

    def get_queryset(self) -> QuerySet[IssuedCoupon]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return IssuedCoupon.objects.none()
        # `?state=` is a state that does not exist, not "every state": the schema lists the four.
        state = self.request.query_params.get("state")
        if state is not None and state not in IssuedCouponState.values:
            raise serializers.ValidationError(
                {"state": [_("Choose one of: %(states)s.") % {"states": ", ".join(IssuedCouponState.values)}]},
            )
        return selectors.coupons_of(user=signed_in_user(self.request), state=state)

    @extend_schema(
        tags=["coupons"],
        summary="My coupons",
        description="The coupons you hold, newest first, each with its state.",
        parameters=[
            OpenApiParameter(
                "state", OpenApiTypes.STR, enum=IssuedCouponState.values, description="Only coupons in this state."
            )
        ],
        responses={
            200: IssuedCouponSerializer(many=True),
            400: error_response("`validation_error`: an unknown `state`."),
            401: UNAUTHENTICATED,
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
