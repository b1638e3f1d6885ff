"""Read-only shapes of the catalogue API. Money is a decimal string, never a float."""

from collections.abc import Callable
from typing import Any

from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Category, Product, ProductImage, ProductStatus, ProductVariant, VariantStatus
from common.api.serializers import KeptFieldsMixin, MoneyField
from inventory.models import StockStatus


def _absolute(request: Any, url: str) -> str:
    # Site paths (/static/…) become absolute for mobile clients; absolute URLs stay as they are.
    return request.build_absolute_uri(url) if request is not None and url else url


def _named_enum_field(choices: type[models.TextChoices], component_name: str) -> Callable[..., serializers.ChoiceField]:
    """A read-only choice field documented as its own named enum component. Left to itself the
    schema would name the enum after the field ("StatusEnum", "Status2f0Enum"), and every app has
    a `status`."""

    @extend_schema_field(
        {
            "type": "string",
            "enum": list(choices.values),
            "description": "; ".join(f"`{value}`: {label}" for value, label in choices.choices),
        },
        component_name=component_name,
    )
    class NamedEnumField(serializers.ChoiceField):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(choices=choices.choices, **kwargs)

    return NamedEnumField


ProductStatusField = _named_enum_field(ProductStatus, "ProductStatusEnum")
VariantStatusField = _named_enum_field(VariantStatus, "VariantStatusEnum")
StockStatusField = _named_enum_field(StockStatus, "StockStatusEnum")


class CategoryRefSerializer(KeptFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "slug"]


class ProductListSerializer(KeptFieldsMixin, serializers.ModelSerializer):
    category = CategoryRefSerializer(read_only=True)
    price = MoneyField(read_only=True, help_text="The lowest price of the product's active variants.")
    available_quantity = serializers.IntegerField(source="available", read_only=True)
    primary_image_url = serializers.SerializerMethodField()
    status = ProductStatusField(read_only=True)

    class Meta:
        model = Product
        fields = [
            "id",
            "title",
            "brand",
            "category",
            "price",
            "currency",
            "available_quantity",
            "primary_image_url",
            "status",
        ]
        read_only_fields = fields

    # null when the product has no image yet.
    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_primary_image_url(self, product: Product) -> str | None:
        images = getattr(product, "primary_images", None) or []
        if not images:
            return None
        return _absolute(self.context.get("request"), images[0].image_url)


class ProductImageSerializer(KeptFieldsMixin, serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = ProductImage
        fields = ["id", "url", "thumbnail_url", "alt_text", "is_primary", "display_order"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, image: ProductImage) -> str:
        return _absolute(self.context.get("request"), image.image_url)

    @extend_schema_field(OpenApiTypes.URI)
    def get_thumbnail_url(self, image: ProductImage) -> str:
        return _absolute(self.context.get("request"), image.thumbnail_url or image.image_url)


class ProductVariantSerializer(KeptFieldsMixin, serializers.ModelSerializer):
    price = MoneyField(read_only=True)
    available_quantity = serializers.IntegerField(source="available", read_only=True)
    status = VariantStatusField(read_only=True)
    stock_status = StockStatusField(read_only=True)

    class Meta:
        model = ProductVariant
        fields = ["id", "sku", "name", "price", "color", "size", "available_quantity", "status", "stock_status"]
        read_only_fields = fields


class ProductDetailSerializer(ProductListSerializer):
    images = ProductImageSerializer(many=True, read_only=True, source="page_images")
    variants = ProductVariantSerializer(many=True, read_only=True, source="sale_variants")

    class Meta(ProductListSerializer.Meta):
        fields = [*ProductListSerializer.Meta.fields, "description", "images", "variants"]
        read_only_fields = fields


class CategoryTreeSerializer(serializers.Serializer):
    """One active category and its active subcategories, nested."""

    id = serializers.IntegerField(source="category.id", read_only=True)
    name = serializers.CharField(source="category.name", read_only=True)
    slug = serializers.SlugField(source="category.slug", read_only=True)
    description = serializers.CharField(source="category.description", read_only=True)
    image_url = serializers.CharField(source="category.image_url", read_only=True)
    display_order = serializers.IntegerField(source="category.display_order", read_only=True)


# Declared after the class so it can refer to itself: children are nodes of the same shape
# (a CategoryNode's `children`), and the schema shows the recursion as a $ref.
CategoryTreeSerializer._declared_fields["children"] = CategoryTreeSerializer(many=True, read_only=True)
