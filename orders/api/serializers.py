"""Order API shapes. Input is checked strictly: whole JSON numbers only, unknown fields refused,
so a client can never slip a price, total or status into an order."""

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.api.query import QueryIntegerField
from common.api.serializers import (
    BIGINT_MAX,
    MoneyField,
    RejectUnknownFieldsMixin,
    StrictIntegerField,
    StrictJSONTypesMixin,
)
from payments.models import PaymentMethodType, RefundDestination

from ..models import (
    CUSTOMER_CANCELLATION_REASONS,
    NOTE_MAX_LENGTH,
    RETURN_REASON_TEXT_MAX_LENGTH,
    CancellationReason,
    IssueType,
    IssueUrgency,
    Order,
    OrderCancellation,
    OrderIssue,
    OrderItem,
    OrderReturn,
    OrderReturnItem,
    OrderState,
    ReturnReason,
    ReturnStatus,
)

# --- input ------------------------------------------------------------------------------------


class OrderLineInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    variant_id = StrictIntegerField(min_value=1, max_value=BIGINT_MAX)
    quantity = StrictIntegerField(min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read at run time, so the limit follows the setting the service enforces.
        self.fields["quantity"] = StrictIntegerField(min_value=1, max_value=settings.ORDER_MAX_LINE_QUANTITY)


CHECKOUT_PAYMENT_CHOICES = [
    (PaymentMethodType.WALLET.value, _("Pay from the shop wallet now")),
    (PaymentMethodType.CARD.value, _("Pay by card next (POST orders/{id}/pay/)")),
]


@extend_schema_field(
    {
        "type": "string",
        "enum": [value for value, _label in CHECKOUT_PAYMENT_CHOICES],
        "description": "; ".join(f"`{value}`: {label}" for value, label in CHECKOUT_PAYMENT_CHOICES),
    },
    component_name="CheckoutPaymentMethodEnum",
)
class CheckoutPaymentMethodField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=CHECKOUT_PAYMENT_CHOICES, **kwargs)


class OrderCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    items = OrderLineInputSerializer(many=True, allow_empty=False, min_length=1, max_length=50)
    coupon_id = StrictIntegerField(
        min_value=1,
        max_value=BIGINT_MAX,
        required=False,
        allow_null=True,
        help_text=_(
            "The `id` of one of your issued coupons, as listed by GET me/coupons/ (not the coupon's own "
            "`coupon.id` from GET coupons/, which you claim with). Another customer's issued coupon, a "
            "used or expired one, or any other number is a 400 `coupon_not_usable`."
        ),
    )

    shipping_address_id = StrictIntegerField(
        min_value=1,
        max_value=BIGINT_MAX,
        required=False,
        allow_null=True,
        help_text=_(
            "The `id` of one of your addresses (GET me/addresses/) to deliver to; omitted or null: your primary "
            "address. With no address at all the answer is a 400 `address_required`; an id that is not one of "
            "your addresses is a 400 `validation_error` on this field."
        ),
    )
    payment_method = CheckoutPaymentMethodField(
        required=False,
        default=PaymentMethodType.WALLET.value,
        help_text=_(
            "`wallet` (the default): paid from your wallet at once, the order is `paid`. `card`: the order is "
            "`pending` with its items held for you for a few minutes; pay it with POST orders/{id}/pay/ before "
            "then, or it is cancelled and the items go back on sale."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["items"].max_length = settings.ORDER_MAX_LINES  # type: ignore[attr-defined]  # a ListSerializer has it


class OrderPaySerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    payment_method_id = StrictIntegerField(
        min_value=1,
        max_value=BIGINT_MAX,
        help_text=_("The `id` of one of your saved cards (GET payment-methods/)."),
    )


class CheckoutQuoteSerializer(OrderCreateSerializer):
    """The same body as POST orders/: what it would cost, without ordering."""


class OrderCancelSerializer(RejectUnknownFieldsMixin, StrictJSONTypesMixin, serializers.Serializer):
    reason = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default="", help_text=_("Why, in your own words.")
    )
    reason_code = serializers.ChoiceField(
        choices=CUSTOMER_CANCELLATION_REASONS, required=False, default=CancellationReason.OTHER
    )


# --- output -----------------------------------------------------------------------------------


class OrderItemListSerializer(serializers.ListSerializer):
    """An order's lines; `context["lines"]`, when given, are the lines already in hand (a just
    placed order's, from `PlacedOrder.lines`), shown without reading them again."""

    def get_attribute(self, instance: Any) -> Any:
        lines = self.context.get("lines")
        return lines if lines is not None else super().get_attribute(instance)


class OrderItemSerializer(serializers.ModelSerializer):
    unit_price = MoneyField()
    total_price = MoneyField()

    class Meta:
        model = OrderItem
        list_serializer_class = OrderItemListSerializer
        fields = [
            "id",
            "product_id",
            "variant_id",
            "sku",
            "product_title",
            "variant_name",
            "quantity",
            "unit_price",
            "total_price",
            "currency",
        ]
        read_only_fields = fields


class ShippingAddressSerializer(serializers.Serializer):
    """The delivery address as copied onto the order at checkout (later address edits do not change it)."""

    name = serializers.CharField(source="shipping_name", read_only=True)
    line1 = serializers.CharField(source="shipping_line1", read_only=True)
    line2 = serializers.CharField(source="shipping_line2", read_only=True)
    city = serializers.CharField(source="shipping_city", read_only=True)
    region = serializers.CharField(source="shipping_region", read_only=True)
    postal_code = serializers.CharField(source="shipping_postal_code", read_only=True)
    country = serializers.SerializerMethodField(help_text=_("ISO 3166-1 alpha-2 code; empty on orders from before."))
    phone = serializers.CharField(source="shipping_phone", read_only=True)

    def get_country(self, order: Order) -> str:
        return str(order.shipping_country or "")


class OrderCouponSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("The issued coupon's id: what `coupon_id` of POST orders/ names."))
    coupon_id = serializers.IntegerField(help_text=_("The id of the coupon it was issued from (GET coupons/)."))
    code = serializers.CharField(source="coupon.code")
    name = serializers.CharField(source="coupon.name")


class OrderSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(source="status_id", choices=OrderState.choices, read_only=True)
    items = OrderItemSerializer(many=True, read_only=True)
    subtotal = MoneyField()
    discount_amount = MoneyField()
    shipping_cost = MoneyField()
    tax_amount = MoneyField()
    total_amount = MoneyField()
    coupon = OrderCouponSerializer(source="issued_coupon", allow_null=True, read_only=True)
    shipping_address = ShippingAddressSerializer(source="*", read_only=True)
    tax_rate = serializers.DecimalField(
        max_digits=6,
        decimal_places=3,
        read_only=True,
        allow_null=True,
        help_text=_("The tax rate applied, in percent; null when the destination had none."),
    )

    class Meta:
        model = Order
        fields = [
            "id",
            "order_number",
            "status",
            "items",
            "subtotal",
            "discount_amount",
            "shipping_cost",
            "tax_amount",
            "total_amount",
            "currency",
            "coupon",
            "shipping_address",
            "tax_rate",
            "special_instructions",
            "created_at",
            "paid_at",
            "cancelled_at",
        ]
        read_only_fields = fields


class QuoteLineSerializer(serializers.Serializer):
    variant_id = serializers.IntegerField(source="line.variant.pk")
    quantity = serializers.IntegerField(source="line.quantity")
    unit_price = MoneyField(source="line.variant.price")
    total = MoneyField(source="line.total", help_text=_("Unit price x quantity."))
    discount = MoneyField(help_text=_("This line's share of the coupon."))
    tax = MoneyField(help_text=_("Tax on the line after its discount, rounded on its own."))


class QuoteSerializer(serializers.Serializer):
    """What POST orders/ with the same body would store now: the same numbers, the same rounding."""

    items = QuoteLineSerializer(source="lines", many=True)
    subtotal = MoneyField()
    discount = MoneyField()
    shipping = MoneyField()
    tax = MoneyField(help_text=_("The lines' taxes plus the tax on shipping, each rounded half up to the cent."))
    total = MoneyField(help_text=_("subtotal - discount + shipping + tax"))
    currency = serializers.CharField()
    tax_rate = serializers.DecimalField(max_digits=6, decimal_places=3, allow_null=True)
    shipping_address_id = serializers.IntegerField(source="address.pk")


class PopularProductsQuerySerializer(serializers.Serializer):
    days = QueryIntegerField(min_value=1, max_value=90, default=3)
    limit = QueryIntegerField(min_value=1, max_value=50, default=5)


class PopularCategorySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()


class PopularProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    price = MoneyField(help_text=_("The lowest price of its options."))
    currency = serializers.CharField()
    available_quantity = serializers.IntegerField(source="available")
    category = PopularCategorySerializer()


class PopularEntrySerializer(serializers.Serializer):
    product = PopularProductSerializer()
    quantity = serializers.IntegerField(help_text=_("Units sold in the window."))


# --- returns (RMA) ----------------------------------------------------------------------------


class ReturnItemInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    order_item_id = StrictIntegerField(
        min_value=1, max_value=BIGINT_MAX, help_text=_("The `id` of one of the order's `items`.")
    )
    quantity = StrictIntegerField(min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["quantity"] = StrictIntegerField(min_value=1, max_value=settings.ORDER_MAX_LINE_QUANTITY)


class ReturnCreateSerializer(RejectUnknownFieldsMixin, StrictJSONTypesMixin, serializers.Serializer):
    items = ReturnItemInputSerializer(many=True, allow_empty=False, min_length=1, max_length=50)
    reason = serializers.ChoiceField(choices=ReturnReason.choices)
    reason_text = serializers.CharField(
        max_length=RETURN_REASON_TEXT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    destination = serializers.ChoiceField(
        choices=RefundDestination.choices,
        default=RefundDestination.ORIGINAL.value,
        help_text=_("`original`: back to the payment; `wallet`: store credit in your wallet."),
    )


class OrderReturnItemSerializer(serializers.ModelSerializer):
    product_title = serializers.CharField(source="order_item.product_title", read_only=True)
    sku = serializers.CharField(source="order_item.sku", read_only=True)
    value = MoneyField(read_only=True)

    class Meta:
        model = OrderReturnItem
        fields = ["order_item_id", "product_title", "sku", "quantity", "value"]
        read_only_fields = fields


class OrderReturnSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=ReturnStatus.choices, read_only=True)
    items = OrderReturnItemSerializer(many=True, read_only=True)
    destination = serializers.ChoiceField(
        source="refund_destination", choices=RefundDestination.choices, read_only=True
    )
    items_value = MoneyField(read_only=True)
    return_shipping_cost = MoneyField(read_only=True)
    restocking_fee = MoneyField(read_only=True)
    refund_due = MoneyField(
        read_only=True, help_text=_("items_value - restocking_fee - return shipping when you pay it; never below 0.")
    )
    refund_amount = MoneyField(read_only=True, allow_null=True, help_text=_("What was given back, once refunded."))
    # A plain integer (not a nullable enum, which generators read as "one of"): 1 unusable ... 5 as new.
    condition_rating = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        min_value=1,
        max_value=5,
        help_text=_("Found at inspection: 1 unusable, 2 damaged, 3 used, 4 good, 5 as new (4+ goes back to stock)."),
    )

    class Meta:
        model = OrderReturn
        fields = [
            "id",
            "order_id",
            "status",
            "reason",
            "reason_text",
            "destination",
            "items",
            "currency",
            "items_value",
            "return_shipping_cost",
            "customer_pays_shipping",
            "restocking_fee",
            "refund_due",
            "refund_amount",
            "return_carrier",
            "return_tracking_number",
            "condition_rating",
            "rejection_reason",
            "created_at",
            "approved_at",
            "rejected_at",
            "received_at",
            "inspected_at",
            "refunded_at",
        ]
        read_only_fields = fields


# --- cancellations and issues (branch `cancel`) --------------------------------------------------


class CancellationSerializer(serializers.ModelSerializer):
    order = serializers.IntegerField(source="order_id", read_only=True)
    fee = MoneyField()
    refund_amount = MoneyField()

    class Meta:
        model = OrderCancellation
        fields = [
            "id",
            "order",
            "status",
            "reason",
            "notes",
            "decision_note",
            "fee",
            "refund_amount",
            "currency",
            "created_at",
            "approved_at",
            "completed_at",
            "rejected_at",
        ]
        read_only_fields = fields


class IssueCreateSerializer(RejectUnknownFieldsMixin, StrictJSONTypesMixin, serializers.Serializer):
    issue_type = serializers.ChoiceField(choices=IssueType.choices)
    description = serializers.CharField(max_length=NOTE_MAX_LENGTH)
    urgency = serializers.ChoiceField(choices=IssueUrgency.choices, required=False, default=IssueUrgency.MEDIUM)
    item_ids = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=BIGINT_MAX),
        required=False,
        default=list,
        max_length=100,
        help_text=_("The `id`s of the order's lines concerned; none: the whole order."),
    )


class IssueRateSerializer(RejectUnknownFieldsMixin, StrictJSONTypesMixin, serializers.Serializer):
    customer_satisfaction = StrictIntegerField(
        min_value=1, max_value=5, help_text=_("1 (not satisfied) to 5 (very satisfied); only once resolved.")
    )


def _hours(delta: Any) -> float | None:
    return None if delta is None else round(delta.total_seconds() / 3600, 1)


class IssueSerializer(serializers.ModelSerializer):
    order = serializers.IntegerField(source="order_id", read_only=True)
    item_ids = serializers.SerializerMethodField()
    seller = serializers.CharField(source="related_seller.business_name", default=None, read_only=True)
    compensation_amount = MoneyField()
    first_response_hours = serializers.SerializerMethodField()
    resolution_hours = serializers.SerializerMethodField()

    class Meta:
        model = OrderIssue
        fields = [
            "id",
            "order",
            "item_ids",
            "seller",
            "issue_type",
            "description",
            "urgency",
            "status",
            "seller_response",
            "resolution_notes",
            "compensation_amount",
            "compensation_destination",
            "currency",
            "customer_satisfaction",
            "created_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "first_response_hours",
            "resolution_hours",
        ]
        read_only_fields = fields

    def get_item_ids(self, issue: OrderIssue) -> list[int]:
        return [item.pk for item in issue.items.all()]

    def get_first_response_hours(self, issue: OrderIssue) -> float | None:
        return _hours(issue.first_response_time)

    def get_resolution_hours(self, issue: OrderIssue) -> float | None:
        return _hours(issue.resolution_time)
