"""Carts in the staff console: to look at, not to edit (a cart changes only through its
customer's pages and the services). Removed items and deleted carts are shown too."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyAdminMixin

from .models import Cart, CartItem, CartSnapshot, CartWishlistTransfer, SavedCart, Wishlist, WishlistItem


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
    list_display = [
        "pk",
        "customer",
        "guest",
        "status",
        "total_amount",
        "currency",
        "device_type",
        "updated_at",
        "deleted_at",
    ]
    list_select_related = ["customer", "guest"]
    list_filter = [
        "status",
        ("customer", admin.EmptyFieldListFilter),  # empty: a guest's cart
        "device_type",
        "currency",
        ("deleted_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["customer__email"]
    date_hierarchy = "updated_at"
    fields = [
        "customer",
        "guest",
        "status",
        "total_amount",
        "currency",
        "exit_page",
        "device_type",
        "referral_source",
        "created_at",
        "updated_at",
        "deleted_at",
    ]
    readonly_fields = fields
    inlines = [CartItemInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Cart]:
        return Cart.all_objects.select_related("customer", "guest")


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


# --- saved carts and snapshots (branch csaved) ---------------------------------------------------


class SavedCartExpiredFilter(admin.SimpleListFilter):
    title = _("expired")
    parameter_name = "expired"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", _("Expired (the daily task removes it)")), ("no", _("Not expired"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[SavedCart]) -> QuerySet[SavedCart]:
        if self.value() == "yes":
            return queryset.filter(expires_at__lte=timezone.now())
        if self.value() == "no":
            return queryset.filter(expires_at__gt=timezone.now())
        return queryset


@admin.register(SavedCart)
class SavedCartAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pk", "customer", "name", "saved_at", "expires_at", "cart_link"]
    list_select_related = ["customer"]
    list_filter = [SavedCartExpiredFilter]
    search_fields = ["customer__email", "name", "description"]
    date_hierarchy = "saved_at"
    fields = ["customer", "name", "description", "cart_link", "saved_at", "updated_at", "expires_at"]
    readonly_fields = fields

    @admin.display(description=_("copy cart"), ordering="cart")
    def cart_link(self, saved: SavedCart) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:carts_cart_change", args=[saved.cart_id]), f"Cart {saved.cart_id}"
        )


@admin.register(CartSnapshot)
class CartSnapshotAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "pk",
        "cart",
        "cart__customer",
        "snapshot_type",
        "status",
        "item_count",
        "total_amount",
        "created_at",
    ]
    list_select_related = ["cart__customer"]
    list_filter = ["snapshot_type", "status", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["cart__customer__email", "=cart__id"]
    date_hierarchy = "created_at"
    fields = [
        "cart",
        "snapshot_type",
        "status",
        "item_count",
        "total_amount",
        "created_at",
        "notified_at",
        "lines_table",
    ]
    readonly_fields = fields

    @admin.display(description=_("lines"))
    def lines_table(self, snapshot: CartSnapshot) -> str:
        data = snapshot.snapshot_data if isinstance(snapshot.snapshot_data, dict) else {}
        lines = data.get("lines") or []
        if not isinstance(lines, list) or not lines:
            return "-"
        currency = data.get("currency", "")
        head = format_html_join(
            "",
            "<th scope='col'>{}</th>",
            (
                [label]
                for label in (_("SKU"), _("Product"), _("Quantity"), _("Price then"), _("Price now"), _("Available"))
            ),
        )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}{}</td><td>{}</td><td>{} {}</td><td>{} {}</td><td>{}</td></tr>",
            (
                (
                    line.get("sku", ""),
                    line.get("title", ""),
                    f" ({line['variant_name']})" if line.get("variant_name") else "",
                    line.get("quantity", ""),
                    line.get("unit_price", ""),
                    currency,
                    line.get("price_now", ""),
                    currency,
                    line.get("available", ""),
                )
                for line in lines
                if isinstance(line, dict)
            ),
        )
        return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, rows)


# --- abandoned carts (issue 15, abandonment part) ---------------------------------------------
from .admin_abandoned import AbandonedCartAdmin  # noqa: E402, F401 - registers the abandoned carts' admin

# --- wishlists (issue 15, branch cwish) ----------------------------------------------------------
# Read-only like the carts: a list changes through its customer's pages and the services (one
# default per customer, moves recorded as transfers). The share token is a secret link: not shown.


class WishlistItemInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = WishlistItem
    extra = 0
    can_delete = False
    fields = ["variant", "priority", "notes", "created_at", "deleted_at"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[WishlistItem]:
        return WishlistItem.all_objects.select_related("variant__product").order_by("-priority", "created_at", "pk")


@admin.register(Wishlist)
class WishlistAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pk", "name", "customer", "visibility", "is_default", "created_at", "updated_at", "deleted_at"]
    list_select_related = ["customer"]
    list_filter = ["visibility", "is_default", ("deleted_at", admin.EmptyFieldListFilter)]
    search_fields = ["customer__email", "name"]
    date_hierarchy = "created_at"
    fields = ["customer", "name", "description", "visibility", "is_default", "created_at", "updated_at", "deleted_at"]
    readonly_fields = fields
    inlines = [WishlistItemInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Wishlist]:
        return Wishlist.all_objects.select_related("customer")


@admin.register(WishlistItem)
class WishlistItemAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pk", "wishlist", "wishlist__customer", "variant", "priority", "created_at", "deleted_at"]
    list_select_related = ["wishlist__customer", "variant__product"]
    list_filter = ["priority", ("deleted_at", admin.EmptyFieldListFilter)]
    search_fields = ["wishlist__customer__email", "wishlist__name", "variant__sku", "variant__product__title"]
    fields = ["wishlist", "variant", "priority", "notes", "created_at", "updated_at", "deleted_at"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[WishlistItem]:
        return WishlistItem.all_objects.select_related("wishlist__customer", "variant__product")


@admin.register(CartWishlistTransfer)
class CartWishlistTransferAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pk", "timestamp", "transfer_type", "customer", "quantity", "wishlist_item", "cart_item"]
    list_select_related = ["customer"]
    list_filter = ["transfer_type", "timestamp"]
    search_fields = ["customer__email"]
    date_hierarchy = "timestamp"
    fields = [
        "customer",
        "transfer_type",
        "quantity",
        "timestamp",
        "from_wishlist_item",
        "to_cart_item",
        "from_cart_item",
        "to_wishlist_item",
    ]
    readonly_fields = fields

    @admin.display(description="Wishlist item")
    def wishlist_item(self, transfer: CartWishlistTransfer) -> int | None:
        return transfer.from_wishlist_item_id or transfer.to_wishlist_item_id

    @admin.display(description="Cart item")
    def cart_item(self, transfer: CartWishlistTransfer) -> int | None:
        return transfer.to_cart_item_id or transfer.from_cart_item_id
