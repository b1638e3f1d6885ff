"""Shapes of the coupon API. Money is a decimal string ("10.00"); the services hold the rules."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from common.api.serializers import MoneyField
from promotions.models import Coupon, DiscountType, IssuedCoupon, IssuedCouponState

# --- coupons ----------------------------------------------------------------------------------


class CouponSerializer(serializers.ModelSerializer):
    discount_type = serializers.ChoiceField(choices=DiscountType.choices, read_only=True)
    discount_value = MoneyField(read_only=True, help_text=_("An amount off, or a percentage (`discount_type`)."))
    max_discount_amount = MoneyField(read_only=True, allow_null=True, help_text=_("Caps a percentage discount."))
    minimum_order_value = MoneyField(read_only=True)
    remaining_quantity = serializers.IntegerField(source="quantity", read_only=True, help_text=_("Left to claim."))
    issued_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Coupon
        fields = [
            "id",
            "name",
            "code",
            "discount_type",
            "discount_value",
            "max_discount_amount",
            "minimum_order_value",
            "currency",
            "initial_quantity",
            "remaining_quantity",
            "issued_count",
            "starts_at",
            "expires_at",
        ]
        read_only_fields = fields


class ClaimableCouponSerializer(CouponSerializer):
    claimed_by_me = serializers.BooleanField(read_only=True, default=False)

    class Meta(CouponSerializer.Meta):
        fields = [*CouponSerializer.Meta.fields, "claimed_by_me"]
        read_only_fields = fields


class IssuedCouponSerializer(serializers.ModelSerializer):
    coupon = CouponSerializer(read_only=True)
    state = serializers.ChoiceField(choices=IssuedCouponState.choices, read_only=True)
    order_number = serializers.CharField(source="order.order_number", read_only=True, allow_null=True, default=None)
    claimed_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = IssuedCoupon
        fields = ["id", "coupon", "state", "used_at", "order_number", "claimed_at"]
        read_only_fields = fields
