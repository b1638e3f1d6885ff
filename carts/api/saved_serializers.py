"""Saved carts' API shapes. Input is strict: text only, unknown fields refused."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from common.api.serializers import MoneyField, RejectUnknownFieldsMixin, StrictJSONTypesMixin

from ..models import SavedCart
from ..saved import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH

# --- input ------------------------------------------------------------------------------------


class SavedCartCreateSerializer(RejectUnknownFieldsMixin, StrictJSONTypesMixin, serializers.Serializer):
    name = serializers.CharField(max_length=NAME_MAX_LENGTH, help_text=_("Your name for it, e.g. “Birthday party”."))
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True, default="", help_text=_("A note.")
    )


# --- output -----------------------------------------------------------------------------------


class SavedCartSerializer(serializers.ModelSerializer):
    """A saved cart in a list: its counts and total at today's prices (`saved_carts_of`)."""

    item_count = serializers.IntegerField(read_only=True, help_text=_("Units in it."))
    total = MoneyField(source="total_now", read_only=True, help_text=_("At today's prices."))
    currency = serializers.CharField(source="cart.currency", read_only=True)

    class Meta:
        model = SavedCart
        fields = ["id", "name", "description", "saved_at", "expires_at", "item_count", "total", "currency"]
        read_only_fields = fields


class SavedLineSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="item.pk", read_only=True)
    variant_id = serializers.IntegerField(source="item.variant_id", read_only=True)
    product_id = serializers.IntegerField(source="item.variant.product_id", read_only=True)
    sku = serializers.CharField(source="item.variant.sku", read_only=True)
    title = serializers.CharField(source="item.variant.product.title", read_only=True)
    variant_name = serializers.CharField(source="item.variant.name", read_only=True)
    quantity = serializers.IntegerField(source="item.quantity", read_only=True)
    price_when_saved = MoneyField(source="item.unit_price", read_only=True)
    price_now = MoneyField(read_only=True, help_text=_("What the item costs today: what a restore puts in the cart."))
    price_changed = serializers.BooleanField(read_only=True, help_text=_("The price changed since it was saved."))
    line_total = MoneyField(read_only=True, help_text=_("At today's price."))
    available = serializers.IntegerField(read_only=True, help_text=_("Units in stock now."))
    for_sale = serializers.BooleanField(read_only=True, help_text=_("False: a restore leaves it out."))


class SavedCartDetailSerializer(serializers.Serializer):
    """A saved cart with its lines at today's prices (`SavedCartView`)."""

    id = serializers.IntegerField(source="saved.pk", read_only=True)
    name = serializers.CharField(source="saved.name", read_only=True)
    description = serializers.CharField(source="saved.description", read_only=True)
    saved_at = serializers.DateTimeField(source="saved.saved_at", read_only=True)
    expires_at = serializers.DateTimeField(source="saved.expires_at", read_only=True)
    item_count = serializers.IntegerField(read_only=True)
    total = MoneyField(read_only=True, help_text=_("At today's prices, of the lines still for sale."))
    currency = serializers.CharField(source="saved.cart.currency", read_only=True)
    lines = SavedLineSerializer(many=True, read_only=True)


class RestoredLineSerializer(serializers.Serializer):
    title = serializers.CharField(read_only=True)
    quantity = serializers.IntegerField(read_only=True)


class SkippedLineSerializer(serializers.Serializer):
    title = serializers.CharField(read_only=True)
    reason = serializers.ChoiceField(
        choices=[("unavailable", _("No longer for sale")), ("cart_full", _("The cart holds as many lines as it can"))],
        read_only=True,
    )


class RestoreResultSerializer(serializers.Serializer):
    restored = RestoredLineSerializer(many=True, read_only=True, help_text=_("Added in full: `quantity` units added."))
    capped = RestoredLineSerializer(
        many=True,
        read_only=True,
        help_text=_(
            "Added in part (stock or the line limit): `quantity` is what the cart holds of it now, 0 if sold out."
        ),
    )
    skipped = SkippedLineSerializer(many=True, read_only=True, help_text=_("Left out, and why."))
    cart_item_count = serializers.IntegerField(
        source="item_count", read_only=True, help_text=_("Units in your cart now.")
    )
    messages = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text=_("The same, as sentences to show.")
    )
