"""Shipment shapes of the API: a customer's shipments, a seller's lines and shipments, and the
body that ships lines. Input is strict (whole JSON numbers, unknown fields refused)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from common.api.serializers import RejectUnknownFieldsMixin, StrictJSONTypesMixin

from ..models import OrderItem, OrderState, OrderTracking, ShippingCarrier
from ..services.fulfilment import TRACKING_NUMBER_MAX_LENGTH
from .serializers import BIGINT_MAX, StrictIntegerField


class CarrierSerializer(serializers.ModelSerializer):
    class Meta:
        model = ShippingCarrier
        fields = ["id", "code", "name"]
        read_only_fields = fields


class ShipmentSerializer(serializers.ModelSerializer):
    carrier = CarrierSerializer(read_only=True)
    order_id = serializers.IntegerField(read_only=True)
    item_ids = serializers.SerializerMethodField(help_text=_("The order lines in this parcel."))

    class Meta:
        model = OrderTracking
        fields = [
            "id",
            "order_id",
            "carrier",
            "tracking_number",
            "tracking_url",
            "status",
            "shipped_at",
            "estimated_delivery_at",
            "delivered_at",
            "delivery_signature",
            "delivery_instructions",
            "delivery_attempts",
            "last_status_update",
            "last_location",
            "is_overdue",
            "item_ids",
        ]
        read_only_fields = fields

    def get_item_ids(self, shipment: OrderTracking) -> list[int]:
        return [line.order_item_id for line in shipment.lines.all()]


class SellerOrderLineSerializer(serializers.ModelSerializer):
    order_id = serializers.IntegerField(read_only=True)
    order_number = serializers.CharField(source="order.order_number", read_only=True)
    order_status = serializers.ChoiceField(source="order.status_id", choices=OrderState.choices, read_only=True)
    paid_at = serializers.DateTimeField(source="order.paid_at", read_only=True)
    shipment_id = serializers.SerializerMethodField(help_text=_("The shipment carrying this line; null: not shipped."))

    class Meta:
        model = OrderItem
        fields = [
            "id",
            "order_id",
            "order_number",
            "order_status",
            "paid_at",
            "product_id",
            "variant_id",
            "sku",
            "product_title",
            "variant_name",
            "quantity",
            "shipment_id",
        ]
        read_only_fields = fields

    def get_shipment_id(self, line: OrderItem) -> int | None:
        shipment_line = getattr(line, "shipment_line", None)
        return shipment_line.tracking_id if shipment_line is not None else None


class SellerOrderLineQuerySerializer(serializers.Serializer):
    show = serializers.ChoiceField(
        choices=[("all", "all"), ("to_ship", "to_ship"), ("shipped", "shipped")],
        default="all",
        help_text=_("`to_ship`: lines still to ship, of orders that can ship; `shipped`: lines that shipped."),
    )


class ShipmentCreateSerializer(RejectUnknownFieldsMixin, StrictJSONTypesMixin, serializers.Serializer):
    order_id = StrictIntegerField(min_value=1, max_value=BIGINT_MAX)
    carrier_id = StrictIntegerField(min_value=1, max_value=BIGINT_MAX, help_text=_("An active carrier's id."))
    tracking_number = serializers.CharField(max_length=TRACKING_NUMBER_MAX_LENGTH)
    item_ids = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=BIGINT_MAX),
        required=False,
        allow_empty=False,
        max_length=200,
        help_text=_("Your lines of the order in this parcel; omit to ship all your lines not shipped yet."),
    )
    estimated_delivery_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    delivery_instructions = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
