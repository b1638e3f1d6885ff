"""Carts in the staff console: to look at, not to edit (a cart changes only through its
customer's pages and the services). Removed items and deleted carts are shown too."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from common.admin import ReadOnlyAdminMixin

from .models import Cart, CartItem


class CartItemInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CartItem
    extra = 0
    can_delete = False
    fields = ["variant", "quantity", "unit_price", "total_price", "created_at", "deleted_at"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[CartItem]:
        return CartItem.all_objects.select_related("variant__product").order_by("created_at", "pk")


@admin.register(Cart)
class CartAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pk", "customer", "status", "total_amount", "currency", "updated_at", "deleted_at"]
    list_select_related = ["customer"]
    list_filter = ["status", "currency", ("deleted_at", admin.EmptyFieldListFilter)]
    search_fields = ["customer__email"]
    date_hierarchy = "updated_at"
    fields = ["customer", "status", "total_amount", "currency", "created_at", "updated_at", "deleted_at"]
    readonly_fields = fields
    inlines = [CartItemInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Cart]:
        return Cart.all_objects.select_related("customer")


@admin.register(CartItem)
class CartItemAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "pk",
        "cart",
        "cart__customer",
        "variant",
        "quantity",
        "unit_price",
        "total_price",
        "created_at",
        "deleted_at",
    ]
    list_select_related = ["cart__customer", "variant__product"]
    list_filter = [("deleted_at", admin.EmptyFieldListFilter)]
    search_fields = ["cart__customer__email", "variant__sku", "variant__product__title"]
    fields = ["cart", "variant", "quantity", "unit_price", "total_price", "created_at", "updated_at", "deleted_at"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[CartItem]:
        return CartItem.all_objects.select_related("cart__customer", "variant__product")


# --- abandoned carts (issue 15, abandonment part) ---------------------------------------------
from .admin_abandoned import AbandonedCartAdmin  # noqa: E402, F401 - registers the abandoned carts' admin
