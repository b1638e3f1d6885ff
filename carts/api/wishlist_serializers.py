"""The wishlists API's shapes. Input is checked here for its shape; the rules (limits, the one
default, what can go on a list) are the services' (carts/wishlists.py)."""

from typing import Any

from django.conf import settings
from django.urls import reverse
from rest_framework import serializers

from common.api.serializers import StrictJSONTypesMixin

from ..models import CartItem, Wishlist, WishlistItem, WishlistVisibility
from ..wishlists import DESCRIPTION_MAX, NAME_MAX, NOTES_MAX


class WishlistSerializer(serializers.ModelSerializer):
    item_count = serializers.IntegerField(read_only=True, help_text="Items on the list.")
    share_url = serializers.SerializerMethodField(
        help_text="The read-only link anyone may open while the list is `shared` or `public`; null when private."
    )

    class Meta:
        model = Wishlist
        fields = [
            "id",
            "name",
            "description",
            "visibility",
            "is_default",
            "item_count",
            "share_url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_share_url(self, wishlist: Wishlist) -> str | None:
        if wishlist.visibility == WishlistVisibility.PRIVATE:
            return None
        path = reverse("wishlists:shared", args=[wishlist.share_token])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class WishlistCreateSerializer(StrictJSONTypesMixin, serializers.Serializer):
    name = serializers.CharField(max_length=NAME_MAX)
    description = serializers.CharField(max_length=DESCRIPTION_MAX, required=False, allow_blank=True, default="")
    visibility = serializers.ChoiceField(
        choices=WishlistVisibility.choices, required=False, default=WishlistVisibility.PRIVATE
    )
    is_default = serializers.BooleanField(
        required=False, default=False, help_text="Make it your default list (your first list always is)."
    )


class WishlistUpdateSerializer(StrictJSONTypesMixin, serializers.Serializer):
    name = serializers.CharField(max_length=NAME_MAX, required=False)
    description = serializers.CharField(max_length=DESCRIPTION_MAX, required=False, allow_blank=True)
    visibility = serializers.ChoiceField(choices=WishlistVisibility.choices, required=False)
    is_default = serializers.BooleanField(
        required=False,
        help_text="`true` makes it your default list (the old default stops being one); "
        "`false` on the default list is refused: make another list the default instead.",
    )
    regenerate_share_link = serializers.BooleanField(
        required=False, default=False, help_text="A new `share_url`; the old link stops working."
    )


class WishlistItemSerializer(serializers.ModelSerializer):
    variant_id = serializers.IntegerField(read_only=True)
    product_id = serializers.IntegerField(source="variant.product_id", read_only=True)
    title = serializers.CharField(source="variant.product.title", read_only=True)
    variant_name = serializers.CharField(source="variant.name", read_only=True)
    sku = serializers.CharField(source="variant.sku", read_only=True)
    price = serializers.DecimalField(
        source="variant.price", max_digits=12, decimal_places=2, read_only=True, help_text="Today's price."
    )
    currency = serializers.CharField(source="variant.product.currency", read_only=True)
    available = serializers.IntegerField(read_only=True, help_text="Units in stock now.")

    class Meta:
        model = WishlistItem
        fields = [
            "id",
            "variant_id",
            "product_id",
            "title",
            "variant_name",
            "sku",
            "price",
            "currency",
            "available",
            "notes",
            "priority",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance: WishlistItem) -> dict[str, Any]:
        if not hasattr(instance, "available"):
            instance.available = 0  # type: ignore[attr-defined]  # a fresh row: read back annotated by the view
        return super().to_representation(instance)


class WishlistItemCreateSerializer(StrictJSONTypesMixin, serializers.Serializer):
    variant_id = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    notes = serializers.CharField(
        max_length=NOTES_MAX,
        required=False,
        allow_blank=True,
        help_text="Kept when the variant is on the list already.",
    )
    priority = serializers.IntegerField(
        min_value=1, max_value=5, required=False, help_text="1 lowest … 5 highest; 3 for a new item."
    )


class WishlistItemUpdateSerializer(StrictJSONTypesMixin, serializers.Serializer):
    notes = serializers.CharField(max_length=NOTES_MAX, required=False, allow_blank=True)
    priority = serializers.IntegerField(min_value=1, max_value=5, required=False)


class WishlistMoveToCartSerializer(StrictJSONTypesMixin, serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["quantity"] = serializers.IntegerField(
            min_value=1, max_value=settings.ORDER_MAX_LINE_QUANTITY, required=False, default=1
        )
        return fields


class WishlistCartLineSerializer(serializers.ModelSerializer):
    """The cart line the item went into (it may hold more than was moved: the units add up)."""

    variant_id = serializers.IntegerField(read_only=True)
    total_price = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = CartItem
        fields = ["id", "variant_id", "quantity", "unit_price", "total_price"]
        read_only_fields = fields
