"""The staff console of the catalogue. Soft-deleted products stay visible here (the shop hides
them); deleting and restoring go through the services."""

from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import Category, Product, ProductImage, ProductVariant


class DeletedListFilter(admin.SimpleListFilter):
    title = _("deleted")
    parameter_name = "deleted"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [("no", _("Not deleted")), ("yes", _("Deleted"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "parent", "display_order", "is_active")
    list_editable = ("display_order", "is_active")
    list_filter = ("is_active", ("parent", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("parent",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    ordering = ("parent__name", "display_order", "name")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class ProductVariantInline(admin.TabularInline):
    model = ProductVariant
    extra = 0
    fields = ("sku", "name", "price", "status", "color", "size", "material", "weight_kg")
    show_change_link = True


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0
    fields = ("image_url", "thumbnail_url", "alt_text", "display_order", "is_primary")


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "brand",
        "seller",
        "category",
        "base_price",
        "currency",
        "status",
        "is_deleted",
        "created_at",
    )
    list_filter = ("status", DeletedListFilter, ("category", admin.RelatedOnlyFieldListFilter), "created_at")
    list_select_related = ("seller", "category")
    search_fields = ("title", "brand", "variants__sku")
    raw_id_fields = ("seller",)
    readonly_fields = ("deleted_at", "created_at", "updated_at")
    date_hierarchy = "created_at"
    inlines = [ProductVariantInline, ProductImageInline]
    actions = ["soft_delete", "restore"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        # Staff see soft-deleted products too (the default manager hides them).
        return Product.all_objects.select_related("seller", "category")

    def has_delete_permission(self, request: HttpRequest, obj: Product | None = None) -> bool:
        # Products are soft deleted (orders keep pointing at them); see the actions.
        return False

    @admin.display(boolean=True, description=_("deleted"), ordering="deleted_at")
    def is_deleted(self, product: Product) -> bool:
        return product.deleted_at is not None

    @admin.action(description=_("Soft delete selected products (hide them from the shop)"), permissions=["change"])
    def soft_delete(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        count = services.product_soft_delete(product_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext("%(count)d product deleted.", "%(count)d products deleted.", count) % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Restore selected products"), permissions=["change"])
    def restore(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        count = services.product_restore(product_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext("%(count)d product restored.", "%(count)d products restored.", count) % {"count": count},
            messages.SUCCESS,
        )


@admin.register(ProductVariant)
class ProductVariantAdmin(admin.ModelAdmin):
    list_display = ("sku", "product", "name", "price", "status", "color", "size", "deleted_at")
    list_filter = ("status", DeletedListFilter)
    list_select_related = ("product",)
    search_fields = ("sku", "name", "product__title")
    raw_id_fields = ("product",)
    readonly_fields = ("deleted_at", "created_at", "updated_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProductVariant]:
        return ProductVariant.all_objects.select_related("product")


@admin.register(ProductImage)
class ProductImageAdmin(admin.ModelAdmin):
    list_display = ("alt_text", "product", "image_url", "is_primary", "display_order")
    list_filter = ("is_primary",)
    list_select_related = ("product",)
    search_fields = ("alt_text", "product__title")
    raw_id_fields = ("product",)
