"""Cart API shapes. Input is strict (whole JSON numbers, unknown fields refused), as in the orders
API; the cart is shown at today's prices, as the cart page shows it."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from common.api.serializers import (
    BIGINT_MAX,
    MoneyField,
    RejectUnknownFieldsMixin,
    StrictIntegerField,
)

from ..selectors import CartLine, CartView

# --- input ------------------------------------------------------------------------------------


class CartAddSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    variant_id = StrictIntegerField(
        min_value=1,
        max_value=BIGINT_MAX,
        help_text=_("The `id` of one of a product's `variants` (GET products/{id}/)."),
    )
    quantity = StrictIntegerField(min_value=1, help_text=_("Units to add to what the cart holds already."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read at run time, so the limit follows the setting the service enforces.
        self.fields["quantity"] = StrictIntegerField(
            min_value=1,
            max_value=settings.ORDER_MAX_LINE_QUANTITY,
            help_text=_("Units to add to what the cart holds already."),
        )


class CartItemQuantitySerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    quantity = StrictIntegerField(min_value=0, help_text=_("How many the cart should hold; 0 takes the item out."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["quantity"] = StrictIntegerField(
            min_value=0,
            max_value=settings.ORDER_MAX_LINE_QUANTITY,
            help_text=_("How many the cart should hold; 0 takes the item out."),
        )

    # Never partial: PATCH cart/items/{id}/ needs its one field. drf-spectacular makes a PATCH
    # body partial (every field optional) by setting this; the schema must say `quantity` is due.
    @property
    def partial(self) -> bool:
        return False

    @partial.setter
    def partial(self, value: bool) -> None:
        pass


# --- output -----------------------------------------------------------------------------------


class CartLineSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="item.pk", help_text=_("The cart item's id: cart/items/{id}/."))
    variant_id = serializers.IntegerField(source="item.variant_id")
    sku = serializers.CharField(source="item.variant.sku")
    product_id = serializers.IntegerField(source="item.variant.product_id")
    title = serializers.CharField(source="item.variant.product.title")
    variant_name = serializers.CharField(source="item.variant.name")
    quantity = serializers.IntegerField(source="item.quantity")
    unit_price = MoneyField(source="item.unit_price", help_text=_("The price when the item was added."))
    price = MoneyField(source="price_now", help_text=_("Today's price: what checkout charges."))
    price_changed = serializers.BooleanField(help_text=_("`price` differs from `unit_price`."))
    line_total = MoneyField(help_text=_("price x quantity."))
    available = serializers.IntegerField(help_text=_("Units available now."))
    stock_problem = serializers.CharField(
        allow_null=True,
        help_text=_("Why checkout would refuse this line now (sold out, too few left), or null."),
    )


@dataclass(frozen=True)
class CartAnswer:
    """What the API shows of a `CartView` (an owner with no cart yet has an empty one)."""

    id: int | None
    currency: str
    lines: list[CartLine]
    item_count: int
    total: Decimal

    @classmethod
    def of(cls, view: CartView) -> "CartAnswer":
        cart = view.cart
        return cls(
            id=cart.pk if cart is not None else None,
            currency=cart.currency if cart is not None else settings.SHOP_CURRENCY,
            lines=view.lines,
            item_count=view.item_count,
            total=view.total,
        )


class CartSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text=_("null while you have no cart."))
    currency = serializers.CharField()
    lines = CartLineSerializer(many=True)
    item_count = serializers.IntegerField(help_text=_("Units in the cart."))
    total = MoneyField(help_text=_("At today's prices, before any coupon, shipping or tax."))
