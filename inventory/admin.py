"""The staff console of stock. Counts never change by editing a row: the "Restock" and "Set
counted quantity" actions call the services, so every change writes its history row. The
history itself is read-only."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User
from common.exceptions import DomainError

from . import services
from .forms import CountForm, RestockForm
from .models import ChangeSource, InventoryHistory, InventoryItem, Warehouse


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "is_active", "is_default")
    list_filter = ("is_active",)
    search_fields = ("code", "name")
    prepopulated_fields = {"code": ("name",)}


def _actor(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


@admin.register(InventoryItem)
class InventoryItemAdmin(admin.ModelAdmin):
    list_display = (
        "variant_sku",
        "product_title",
        "warehouse",
        "quantity",
        "reserved_quantity",
        "available_quantity",
        "status",
        "reorder_point",
        "updated_at",
    )
    list_filter = ("status", "warehouse")
    list_select_related = ("variant__product", "warehouse")
    search_fields = ("variant__sku", "variant__product__title")
    raw_id_fields = ("variant",)
    # The counts change only through the actions (stock_restock, stock_adjust) and checkout.
    readonly_fields = ("quantity", "reserved_quantity", "available_quantity", "status", "created_at", "updated_at")
    fields = (
        "variant",
        "warehouse",
        "quantity",
        "reserved_quantity",
        "available_quantity",
        "status",
        "reorder_point",
        "cost_price",
        "last_count_date",
        "created_at",
        "updated_at",
    )
    actions = ["restock", "set_counted_quantity"]

    def get_readonly_fields(self, request: HttpRequest, obj: InventoryItem | None = None) -> tuple[str, ...]:
        fields = tuple(super().get_readonly_fields(request, obj))
        # A stock row belongs to one variant in one warehouse for good; its history says so.
        return (*fields, "variant", "warehouse") if obj is not None else fields

    def has_delete_permission(self, request: HttpRequest, obj: InventoryItem | None = None) -> bool:
        return False  # stock rows carry the ledger; set the count to 0 instead

    @admin.display(description=_("SKU"), ordering="variant__sku")
    def variant_sku(self, item: InventoryItem) -> str:
        return item.variant.sku

    @admin.display(description=_("product"), ordering="variant__product__title")
    def product_title(self, item: InventoryItem) -> str:
        return item.variant.product.title

    def _stock_action(
        self,
        request: HttpRequest,
        queryset: QuerySet[InventoryItem],
        *,
        form_class: type[forms.Form],
        title: str,
        apply: Callable[[InventoryItem, dict[str, Any]], object],
        done_message: Callable[[int], str],
    ) -> HttpResponse | None:
        """Ask for the numbers on an intermediate page, then call the service per row."""
        form = form_class(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done = 0
            for item in queryset.select_related("variant").order_by("pk"):
                try:
                    apply(item, form.cleaned_data)
                except DomainError as exc:
                    self.message_user(request, f"{item.variant.sku}: {exc.message}", messages.ERROR)
                else:
                    done += 1
            if done:
                self.message_user(request, done_message(done), messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "form": form,
            "items": queryset.select_related("variant__product", "warehouse").order_by("pk"),
            "action": request.POST.get("action", ""),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/inventory/inventoryitem/stock_action.html", context)

    @admin.action(description=_("Restock selected items"), permissions=["change"])
    def restock(self, request: HttpRequest, queryset: QuerySet[InventoryItem]) -> HttpResponse | None:
        def apply(item: InventoryItem, data: dict[str, Any]) -> object:
            return services.stock_restock(
                variant_id=item.variant_id,
                warehouse_id=item.warehouse_id,
                quantity=data["quantity"],
                actor=_actor(request),
                reason=data["reason"] or str(_("Restocked in the staff console")),
                source=ChangeSource.USER,
            )

        return self._stock_action(
            request,
            queryset,
            form_class=RestockForm,
            title=str(_("Restock")),
            apply=apply,
            done_message=lambda n: ngettext("Restocked %(n)d item.", "Restocked %(n)d items.", n) % {"n": n},
        )

    @admin.action(description=_("Set counted quantity of selected items"), permissions=["change"])
    def set_counted_quantity(self, request: HttpRequest, queryset: QuerySet[InventoryItem]) -> HttpResponse | None:
        def apply(item: InventoryItem, data: dict[str, Any]) -> object:
            return services.stock_adjust(
                inventory_item_id=item.pk,
                new_quantity=data["new_quantity"],
                actor=_actor(request),
                reason=data["reason"] or str(_("Counted in the staff console")),
            )

        return self._stock_action(
            request,
            queryset,
            form_class=CountForm,
            title=str(_("Set counted quantity")),
            apply=apply,
            done_message=lambda n: ngettext("Counted %(n)d item.", "Counted %(n)d items.", n) % {"n": n},
        )


@admin.register(InventoryHistory)
class InventoryHistoryAdmin(admin.ModelAdmin):
    """The stock ledger: read-only for everyone."""

    list_display = (
        "created_at",
        "variant_sku",
        "warehouse",
        "change_type",
        "change_source",
        "quantity_before",
        "quantity_delta",
        "quantity_after",
        "reference",
        "actor",
        "reason",
    )
    list_filter = ("change_type", "change_source", "created_at")
    list_select_related = ("inventory_item__variant", "inventory_item__warehouse", "actor")
    search_fields = ("inventory_item__variant__sku", "reference", "reason")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: InventoryHistory | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: InventoryHistory | None = None) -> bool:
        return False

    @admin.display(description=_("SKU"), ordering="inventory_item__variant__sku")
    def variant_sku(self, row: InventoryHistory) -> str:
        return row.inventory_item.variant.sku

    @admin.display(description=_("warehouse"))
    def warehouse(self, row: InventoryHistory) -> Warehouse:
        return row.inventory_item.warehouse
