"""The staff console for orders. Orders are placed only through checkout, so nothing here adds
or edits one directly: status changes and cancellations are actions that call the services, and
daily sales are rebuilt by "Roll up a day", which calls the rollup service."""

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.request import signed_in_user
from common.admin import NotificationAdmin, ReadOnlyAdminMixin
from common.exceptions import DomainError
from common.http import client_meta
from common.models import Notification

from . import services
from .admin_actions import (
    CancellationApproveForm,
    CancellationRejectForm,
    IssueCloseForm,
    IssueResolveForm,
    StaffCancelForm,
    confirm_action,
    run_for_each,
)
from .admin_returns import OrderReturnInline  # also registers the returns' admin
from .models import (
    Order,
    OrderCancellation,
    OrderHistory,
    OrderIssue,
    OrderItem,
    OrderNotification,
    OrderNumberCounter,
    OrderSnapshot,
    OrderState,
    OrderStatus,
    OrderTracking,
    ProductDailySales,
    ProductSaleStat,
    ShipmentStatus,
    ShippingCarrier,
    ShippingRule,
    TaxRate,
)


class RelatedRowsInlineMixin:
    """An inline whose rows come with the rows they show (`related`) in the same query, so the
    order's page makes as many queries with one history row, return or shipment as with fifty."""

    related: tuple[str, ...] = ()

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related(*self.related)  # type: ignore[misc]


class OrderItemInline(RelatedRowsInlineMixin, ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderItem
    extra = 0
    fields = ["product_title", "variant_name", "sku", "seller", "quantity", "unit_price", "total_price", "currency"]
    readonly_fields = fields
    show_change_link = True
    related = ("seller",)


class OrderHistoryInline(RelatedRowsInlineMixin, ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderHistory
    extra = 0
    fields = [
        "created_at",
        "actor",
        "actor_role",
        "change_type",
        "field_name",
        "previous_value",
        "new_value",
        "reason",
        "ip_address",
        "user_agent",
    ]
    readonly_fields = fields
    related = ("actor",)


class OrderTrackingInline(RelatedRowsInlineMixin, ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderTracking
    extra = 0
    fields = ["seller", "carrier", "tracking_number", "status", "shipped_at", "delivered_at", "is_overdue"]
    readonly_fields = fields
    show_change_link = True  # "record delivery" is an action on the shipment list
    related = ("seller", "carrier")


class OrderSnapshotInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderSnapshot
    extra = 0
    fields = ["created_at", "reason", "status", "total_amount", "currency"]
    readonly_fields = fields
    show_change_link = True


class OrderNotificationInline(ReadOnlyAdminMixin, GenericTabularInline):
    model = Notification
    ct_field = "subject_type"
    ct_fk_field = "subject_id"
    extra = 0
    fields = ["kind", "channel", "recipient", "status", "attempts", "sent_at", "last_error"]
    readonly_fields = fields


class OrderCancellationInline(RelatedRowsInlineMixin, ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderCancellation
    extra = 0
    fields = ["status", "reason", "notes", "fee", "refund_amount", "requested_by", "decided_by", "created_at"]
    readonly_fields = fields
    show_change_link = True
    related = ("requested_by", "decided_by")


class OrderIssueInline(RelatedRowsInlineMixin, ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderIssue
    fk_name = "order"
    extra = 0
    fields = ["issue_type", "status", "urgency", "related_seller", "assigned_to", "compensation_amount", "created_at"]
    readonly_fields = fields
    show_change_link = True
    related = ("related_seller", "assigned_to")


def _transition_action(to: OrderState, description: str) -> Any:
    @admin.action(description=description, permissions=["change"])
    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        staff = signed_in_user(request)
        run_for_each(
            modeladmin,
            request,
            queryset,
            lambda order: services.order_transition(
                order_id=order.pk, to=to, actor=staff, reason="Staff console", **client_meta(request)
            ),
            done_message=_("%(count)d order(s) are now %(state)s."),
            state=to.label.lower(),
        )

    action.__name__ = f"mark_{to.value}"
    return action


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["order_number", "customer_email", "status", "total_amount", "currency", "paid_at"]
    list_filter = ["status", ("items__seller", admin.RelatedOnlyFieldListFilter), "paid_at", "created_at"]
    search_fields = ["order_number", "customer__email"]
    list_select_related = ["customer", "status"]
    date_hierarchy = "created_at"
    ordering = ["-id"]
    inlines = [
        OrderItemInline,
        OrderTrackingInline,
        OrderHistoryInline,
        OrderSnapshotInline,
        OrderCancellationInline,
        OrderIssueInline,
        OrderReturnInline,
        OrderNotificationInline,
    ]
    fields = [
        "order_number",
        "customer",
        "status",
        "issued_coupon",
        "subtotal",
        "discount_amount",
        "shipping_cost",
        "tax_amount",
        "tax_rate",
        "total_amount",
        "currency",
        "delivery_address",
        "special_instructions",
        "idempotency_key",
        "created_at",
        "paid_at",
        "cancelled_at",
    ]
    readonly_fields = fields
    actions = [
        "cancel_orders",
        _transition_action(OrderState.PROCESSING, _("Mark selected orders as processing")),
        _transition_action(OrderState.SHIPPED, _("Mark selected orders as shipped")),
        _transition_action(OrderState.DELIVERED, _("Mark selected orders as delivered")),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # orders are placed through checkout only

    def has_delete_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False  # payments, ledgers and stock history point at orders

    @admin.display(description=_("customer"), ordering="customer__email")
    def customer_email(self, obj: Order) -> str:
        return obj.customer.email

    @admin.display(description=_("delivery address"))
    def delivery_address(self, obj: Order) -> str:
        """As copied at checkout (one line per part); "-" for orders from before addresses."""
        region = f", {obj.shipping_region}" if obj.shipping_region else ""
        parts = [
            obj.shipping_name,
            obj.shipping_line1,
            obj.shipping_line2,
            f"{obj.shipping_postal_code} {obj.shipping_city}{region}".strip(" ,"),
            obj.shipping_country.name if obj.shipping_country else "",
            obj.shipping_phone,
        ]
        return format_html_join(format_html("<br>"), "{}", ([part] for part in parts if part)) or "-"

    @admin.action(description=_("Cancel selected orders…"), permissions=["change"])
    def cancel_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> HttpResponse | None:
        """Ask for the reason on a page of its own, then cancel and refund each order."""
        staff = signed_in_user(request)
        return confirm_action(
            self,
            request,
            queryset,
            form_class=StaffCancelForm,
            action="cancel_orders",
            title=_("Cancel orders"),
            intro=_(
                "Each order is cancelled now: its stock goes back, what is left of its payments goes back to the "
                "customer's wallet, and the customer gets an e-mail. Orders that have shipped are refused: "
                "approve their cancellation request instead."
            ),
            call=lambda order, data: services.order_cancel(
                order_id=order.pk,
                user=staff,
                as_staff=True,
                reason=data["reason"],
                reason_code=data["reason_code"],
                **client_meta(request),
            ),
            done_message=_("%(count)d order(s) cancelled and refunded."),
        )


@admin.register(OrderItem)
class OrderItemAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["order", "product_title", "variant_name", "sku", "quantity", "unit_price", "total_price"]
    list_select_related = ["order"]
    search_fields = ["order__order_number", "sku", "product_title"]
    raw_id_fields = ["order", "product", "variant", "seller"]


@admin.register(OrderHistory)
class OrderHistoryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["order", "created_at", "actor", "change_type", "previous_value", "new_value", "reason"]
    list_filter = ["change_type", "new_value"]
    list_select_related = ["order", "actor"]
    search_fields = ["order__order_number", "actor__email"]


@admin.register(OrderNotification)
class OrderNotificationAdmin(NotificationAdmin):
    """The order e-mails, as `common.admin.NotificationAdmin` shows every notification."""

    list_display = ["order", "kind", "recipient", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "kind"]
    search_fields = ["order__order_number", "recipient"]
    date_hierarchy = None

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderNotification]:
        return super().get_queryset(request).prefetch_related("subject")

    @admin.display(description=_("order"))
    def order(self, notification: OrderNotification) -> Any:
        return notification.subject


@admin.register(OrderStatus)
class OrderStatusAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "group", "display_order", "is_final_state"]
    list_filter = ["group", "is_final_state"]
    search_fields = ["code", "name"]


@admin.register(ProductSaleStat)
class ProductSaleStatAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["date", "product", "quantity", "order_item"]
    list_filter = ["date"]
    list_select_related = ["product", "order_item"]
    search_fields = ["product__title"]
    date_hierarchy = "date"


class SalesRollupForm(forms.Form):
    day = forms.DateField(
        label=_("Day"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("A day in UTC that is over (yesterday or earlier). Its rows are rebuilt from the paid orders."),
    )


@admin.register(ProductDailySales)
class ProductDailySalesAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["date", "product", "quantity", "revenue"]
    list_filter = ["date"]
    list_select_related = ["product"]
    search_fields = ["product__title"]
    date_hierarchy = "date"
    change_list_template = "orders/admin/productdailysales_change_list.html"

    def has_rollup_permission(self, request: HttpRequest) -> bool:
        # The rows are rewritten, never edited: rolling up is the one way staff change them.
        return request.user.has_perm("orders.change_productdailysales")

    def get_urls(self) -> list[URLPattern]:
        rollup = path(
            "rollup/",
            self.admin_site.admin_view(self.rollup_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_rollup",
        )
        return [rollup, *super().get_urls()]  # before the catch-all change URL

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra_context = {**(extra_context or {}), "can_roll_up": self.has_rollup_permission(request)}
        return super().changelist_view(request, extra_context)

    def rollup_view(self, request: HttpRequest) -> HttpResponse:
        """Ask for a day, then run the same service as `manage.py rollup_sales --date`."""
        if not self.has_rollup_permission(request):
            raise PermissionDenied
        yesterday = timezone.now().date() - dt.timedelta(days=1)
        form = SalesRollupForm(request.POST or None, initial={"day": yesterday})
        if request.method == "POST" and form.is_valid():
            day = form.cleaned_data["day"]
            try:
                products = services.sales_rollup_finished_day(day=day)
            except DomainError as exc:
                form.add_error("day", str(exc.message))
            else:
                self.message_user(
                    request,
                    ngettext(
                        "%(day)s rolled up: %(count)d row written (one per product with sales).",
                        "%(day)s rolled up: %(count)d rows written (one per product with sales).",
                        products,
                    )
                    % {"day": day.isoformat(), "count": products},
                    messages.SUCCESS,
                )
                changelist = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
                next_day = day + dt.timedelta(days=1)
                return redirect(f"{changelist}?date__gte={day.isoformat()}&date__lt={next_day.isoformat()}")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Roll up a day"),
            "opts": self.opts,
            "form": form,
        }
        return TemplateResponse(request, "orders/admin/rollup_sales.html", context)


@admin.register(OrderNumberCounter)
class OrderNumberCounterAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["year", "last_value"]


# --- pricing: shipping rules and tax rates (saving one makes the cached rules stale: orders.pricing)


@admin.register(ShippingRule)
class ShippingRuleAdmin(admin.ModelAdmin):
    """Which rule applies: the destination country's, else the one with no country; none: free."""

    list_display = ["name", "country", "flat_rate", "per_kg", "free_over", "is_active"]
    list_filter = ["is_active", "country"]
    list_editable = ["is_active"]
    search_fields = ["name"]
    fields = ["name", "country", "flat_rate", "per_kg", "free_over", "is_active", "created_at", "updated_at"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):
    """The most specific active rate wins: the region's (matched to the address's state or
    region, ignoring case), else the country's; none: no tax."""

    list_display = ["name", "country", "region", "rate", "is_active"]
    list_filter = ["is_active", "country"]
    list_editable = ["is_active"]
    search_fields = ["name", "region"]
    fields = ["name", "country", "region", "rate", "is_active", "created_at", "updated_at"]
    readonly_fields = ["created_at", "updated_at"]


# --- cancellations and order issues (branch `cancel`) -------------------------------------------


@admin.register(OrderCancellation)
class OrderCancellationAdmin(admin.ModelAdmin):
    """Requests to cancel shipped orders wait here; approving or rejecting asks for the details on a
    page of its own, then calls the services (refunds go through the refund cap)."""

    list_display = ["id", "order", "status", "reason", "refund_amount", "fee", "requested_by", "created_at"]
    list_filter = ["status", "reason", ("order__items__seller", admin.RelatedOnlyFieldListFilter), "created_at"]
    list_select_related = ["order", "requested_by"]
    search_fields = ["order__order_number", "requested_by__email"]
    date_hierarchy = "created_at"
    ordering = ["-id"]
    readonly_fields = [
        "order",
        "status",
        "reason",
        "notes",
        "decision_note",
        "fee",
        "refund_amount",
        "currency",
        "requested_by",
        "decided_by",
        "created_at",
        "approved_at",
        "completed_at",
        "rejected_at",
    ]
    fields = readonly_fields
    actions = ["approve", "reject"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderCancellation]:
        return super().get_queryset(request).distinct()  # the seller filter joins the lines

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # customers ask; staff cancel from the order list

    def has_delete_permission(self, request: HttpRequest, obj: OrderCancellation | None = None) -> bool:
        return False

    @admin.action(description=_("Approve selected cancellations (refund)…"), permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[OrderCancellation]) -> HttpResponse | None:
        staff = signed_in_user(request)
        return confirm_action(
            self,
            request,
            queryset,
            form_class=CancellationApproveForm,
            action="approve",
            title=_("Approve cancellations"),
            intro=_(
                "Each order is cancelled and what is left of its payments, less the fee, goes back to the "
                "customer's wallet. Lines already shipped are not put back in stock: they come back as a return."
            ),
            call=lambda cancellation, data: services.cancellation_approve(
                cancellation_id=cancellation.pk,
                actor=staff,
                fee=data["fee"],
                note=data["note"],
                **client_meta(request),
            ),
            done_message=_("%(count)d cancellation(s) approved and refunded."),
        )

    @admin.action(description=_("Reject selected cancellations…"), permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[OrderCancellation]) -> HttpResponse | None:
        staff = signed_in_user(request)
        return confirm_action(
            self,
            request,
            queryset,
            form_class=CancellationRejectForm,
            action="reject",
            title=_("Reject cancellations"),
            intro=_("The orders go on as planned; the customer gets an e-mail with your reason."),
            call=lambda cancellation, data: services.cancellation_reject(
                cancellation_id=cancellation.pk, actor=staff, reason=data["reason"], **client_meta(request)
            ),
            done_message=_("%(count)d cancellation(s) rejected."),
        )


@admin.register(OrderIssue)
class OrderIssueAdmin(admin.ModelAdmin):
    """Problems customers report. Staff take them (assign), resolve them with an optional
    compensation (through the refund cap) or close them; every step is a service call."""

    list_display = [
        "id",
        "order",
        "issue_type",
        "urgency",
        "status",
        "related_seller",
        "assigned_to",
        "compensation_amount",
        "customer_satisfaction",
        "created_at",
    ]
    list_filter = [
        "status",
        "issue_type",
        "urgency",
        ("related_seller", admin.RelatedOnlyFieldListFilter),
        ("assigned_to", admin.RelatedOnlyFieldListFilter),
        "created_at",
    ]
    list_select_related = ["order", "related_seller", "assigned_to"]
    search_fields = ["order__order_number", "customer__email", "description"]
    date_hierarchy = "created_at"
    ordering = ["-id"]
    readonly_fields = [
        "order",
        "customer",
        "items",
        "related_seller",
        "assigned_to",
        "issue_type",
        "description",
        "urgency",
        "status",
        "seller_response",
        "seller_responded_at",
        "resolution_notes",
        "compensation_amount",
        "compensation_destination",
        "currency",
        "customer_satisfaction",
        "created_at",
        "first_response_at",
        "first_response_time",
        "resolved_at",
        "resolution_time",
        "closed_at",
    ]
    fields = readonly_fields
    actions = ["assign_to_me", "resolve", "close"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # customers report issues

    def has_delete_permission(self, request: HttpRequest, obj: OrderIssue | None = None) -> bool:
        return False

    @admin.display(description=_("first response after"))
    def first_response_time(self, issue: OrderIssue) -> Any:
        return issue.first_response_time or "-"

    @admin.display(description=_("resolved after"))
    def resolution_time(self, issue: OrderIssue) -> Any:
        return issue.resolution_time or "-"

    @admin.action(description=_("Assign selected issues to me (under review)"), permissions=["change"])
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet[OrderIssue]) -> None:
        staff = signed_in_user(request)
        run_for_each(
            self,
            request,
            queryset,
            lambda issue: services.issue_assign(issue_id=issue.pk, actor=staff, **client_meta(request)),
            done_message=_("%(count)d issue(s) assigned to you."),
        )

    @admin.action(description=_("Resolve selected issues…"), permissions=["change"])
    def resolve(self, request: HttpRequest, queryset: QuerySet[OrderIssue]) -> HttpResponse | None:
        staff = signed_in_user(request)
        return confirm_action(
            self,
            request,
            queryset,
            form_class=IssueResolveForm,
            action="resolve",
            title=_("Resolve issues"),
            intro=_(
                "The customer reads your notes. A compensation is given back for each issue, to the original "
                "payment or as store credit, never past what was paid for the order."
            ),
            call=lambda issue, data: services.issue_resolve(
                issue_id=issue.pk,
                actor=staff,
                resolution_notes=data["resolution_notes"],
                compensation=data["compensation"] or 0,
                destination=data["destination"],
                **client_meta(request),
            ),
            done_message=_("%(count)d issue(s) resolved."),
        )

    @admin.action(description=_("Close selected issues…"), permissions=["change"])
    def close(self, request: HttpRequest, queryset: QuerySet[OrderIssue]) -> HttpResponse | None:
        staff = signed_in_user(request)
        return confirm_action(
            self,
            request,
            queryset,
            form_class=IssueCloseForm,
            action="close",
            title=_("Close issues"),
            intro=_("A closed issue cannot be reopened; the customer gets an e-mail."),
            call=lambda issue, data: services.issue_close(
                issue_id=issue.pk, actor=staff, note=data["note"], **client_meta(request)
            ),
            done_message=_("%(count)d issue(s) closed."),
        )


# --- Fulfilment: carriers, shipments, snapshots ---------------------------------------------------


@admin.register(ShippingCarrier)
class ShippingCarrierAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "tracking_url_template", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}

    def has_delete_permission(self, request: HttpRequest, obj: ShippingCarrier | None = None) -> bool:
        return False  # shipments point at carriers: retire one by unticking "active"


class RecordDeliveryForm(forms.Form):
    delivered_at = forms.SplitDateTimeField(
        label=_("Delivered at"),
        required=False,
        widget=admin.widgets.AdminSplitDateTime,
        help_text=_("Leave empty for now. Not before the parcel shipped, nor in the future."),
    )
    signature = forms.CharField(label=_("Signed for by"), max_length=120, required=False)
    location = forms.CharField(label=_("Where"), max_length=255, required=False)


def _tracking_number(shipment: OrderTracking) -> str:
    return shipment.tracking_number


@admin.register(OrderTracking)
class OrderTrackingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Shipments are created by sellers (seller center, API); staff record how they travel."""

    list_display = [
        "tracking_number",
        "carrier",
        "order",
        "seller",
        "status",
        "shipped_at",
        "estimated_delivery_at",
        "delivered_at",
        "is_overdue",
    ]
    list_filter = ["status", "is_overdue", "carrier", ("seller", admin.RelatedOnlyFieldListFilter), "shipped_at"]
    list_select_related = ["carrier", "order", "seller"]
    search_fields = ["tracking_number", "order__order_number", "seller__business_name"]
    date_hierarchy = "shipped_at"
    actions = ["record_delivery", "record_in_transit", "record_failed_attempt"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Read-only rows, but the actions (which call the services) need the change permission.
        return request.user.has_perm("orders.change_ordertracking") and obj is None

    @admin.action(description=_("Record delivery of selected shipments"), permissions=["change"])
    def record_delivery(self, request: HttpRequest, queryset: QuerySet[OrderTracking]) -> HttpResponse | None:
        staff = signed_in_user(request)
        return confirm_action(
            self,
            request,
            queryset,
            form_class=RecordDeliveryForm,
            action="record_delivery",
            title=_("Record delivery"),
            call=lambda shipment, data: services.shipment_delivery_record(
                shipment_id=shipment.pk,
                actor=staff,
                delivered_at=data["delivered_at"],
                signature=data["signature"],
                location=data["location"],
                **client_meta(request),
            ),
            done_message=_("%(count)d delivery(ies) recorded."),
            label=_tracking_number,
            template_name="orders/admin/record_delivery.html",
            extra_context={"shipments": queryset.select_related("carrier", "order")},
        )

    def _progress(self, request: HttpRequest, queryset: QuerySet[OrderTracking], status: ShipmentStatus) -> None:
        staff = signed_in_user(request)
        run_for_each(
            self,
            request,
            queryset,
            lambda shipment: services.shipment_progress_record(
                shipment_id=shipment.pk, status=status, actor=staff, **client_meta(request)
            ),
            done_message=_("%(count)d shipment(s) now %(status)s."),
            label=_tracking_number,
            status=status.label.lower(),
        )

    @admin.action(description=_("Record selected shipments in transit"), permissions=["change"])
    def record_in_transit(self, request: HttpRequest, queryset: QuerySet[OrderTracking]) -> None:
        self._progress(request, queryset, ShipmentStatus.IN_TRANSIT)

    @admin.action(description=_("Record a failed delivery attempt"), permissions=["change"])
    def record_failed_attempt(self, request: HttpRequest, queryset: QuerySet[OrderTracking]) -> None:
        self._progress(request, queryset, ShipmentStatus.FAILED_ATTEMPT)


@admin.register(OrderSnapshot)
class OrderSnapshotAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The order as it was: never added, changed or deleted by hand."""

    list_display = ["order", "created_at", "reason", "status", "total_amount", "currency"]
    list_filter = ["reason", "status", "created_at"]
    list_select_related = ["order"]
    search_fields = ["order__order_number"]
    date_hierarchy = "created_at"
