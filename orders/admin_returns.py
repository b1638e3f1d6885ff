"""The staff console for returns (RMA), loaded by `orders/admin.py` (which shows an order's
returns inline with `OrderReturnInline`).

Nothing is edited by hand: each step (approve, reject, receive, inspect, refund) is a page of its
own with a form that calls the step's service, linked from the return's page; approve, receive and
refund also work on a selection from the list. A refused step shows the service's message and
changes nothing.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.request import signed_in_user
from common.admin import ReadOnlyAdminMixin
from common.exceptions import DomainError
from common.http import ClientMeta, client_meta

from . import services
from .admin_actions import run_for_each
from .forms import ReturnApproveForm, ReturnInspectForm, ReturnReceiveForm, ReturnRefundForm, ReturnRejectForm
from .models import RETURN_TRANSITIONS, OrderReturn, OrderReturnItem, ReturnStatus


class OrderReturnItemInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderReturnItem
    extra = 0
    fields = ("order_item", "quantity", "value")
    readonly_fields = fields


class OrderReturnInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The order's returns on its admin page, each with its lines and a link to its own page,
    where staff take the next step. Lines come in one prefetch for all returns."""

    model = OrderReturn
    extra = 0
    fields = (
        "status",
        "returned_items",
        "reason",
        "refund_destination",
        "items_value",
        "refund_amount",
        "created_at",
    )
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderReturn]:
        return super().get_queryset(request).prefetch_related("items__order_item")

    @admin.display(description=_("items"))
    def returned_items(self, rma: OrderReturn) -> str:
        lines = [
            (line.quantity, line.order_item.product_title, line.order_item.sku)
            for line in sorted(rma.items.all(), key=lambda line: line.order_item_id)
        ]
        # The separator is a constant; every value goes through format_html_join's escaping.
        return format_html_join(mark_safe("<br>"), "{} x {} ({})", lines) or "-"  # nosec B308 - a literal separator


# Each step: the return, the staff member, the form's data, and the client's address and agent.
def _approve(rma: OrderReturn, staff: User, data: dict[str, Any], meta: ClientMeta) -> OrderReturn:
    return services.return_approve(return_id=rma.pk, actor=staff, **data, **meta)


def _reject(rma: OrderReturn, staff: User, data: dict[str, Any], meta: ClientMeta) -> OrderReturn:
    return services.return_reject(return_id=rma.pk, actor=staff, reason=data["reason"], **meta)


def _receive(rma: OrderReturn, staff: User, data: dict[str, Any], meta: ClientMeta) -> OrderReturn:
    return services.return_receive(
        return_id=rma.pk,
        actor=staff,
        tracking_number=data.get("tracking_number", ""),
        carrier=data.get("carrier", ""),
        **meta,
    )


def _inspect(rma: OrderReturn, staff: User, data: dict[str, Any], meta: ClientMeta) -> OrderReturn:
    return services.return_inspect(return_id=rma.pk, actor=staff, **data, **meta)


def _refund(rma: OrderReturn, staff: User, data: dict[str, Any], meta: ClientMeta) -> OrderReturn:
    return services.return_refund(return_id=rma.pk, actor=staff, **meta)


# step name -> (the status it leads to, its form, the service call, the button's label)
STEPS: dict[str, tuple[ReturnStatus, type[forms.Form], Callable[..., OrderReturn], Any]] = {
    "approve": (ReturnStatus.APPROVED, ReturnApproveForm, _approve, _("Approve")),
    "reject": (ReturnStatus.REJECTED, ReturnRejectForm, _reject, _("Reject")),
    "receive": (ReturnStatus.RECEIVED, ReturnReceiveForm, _receive, _("Record receipt")),
    "inspect": (ReturnStatus.INSPECTED, ReturnInspectForm, _inspect, _("Record inspection")),
    "refund": (ReturnStatus.REFUNDED, ReturnRefundForm, _refund, _("Refund")),
}


def _bulk_action(step: str, description: Any) -> Any:
    """A list action for a step that needs no input (its form's fields are all optional)."""

    @admin.action(description=description, permissions=["change"])
    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[OrderReturn]) -> None:
        staff = signed_in_user(request)
        to, _form, call, _label = STEPS[step]
        run_for_each(
            modeladmin,
            request,
            queryset,
            lambda rma: call(rma, staff, {}, client_meta(request)),
            done_message=_("%(count)d return(s) are now %(state)s."),
            state=to.label.lower(),
        )

    action.__name__ = f"return_{step}"
    return action


@admin.register(OrderReturn)
class OrderReturnAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "order",
        "customer_email",
        "status",
        "reason",
        "refund_destination",
        "items_value",
        "refund_amount",
        "created_at",
    ]
    list_filter = ["status", "reason", "refund_destination", "created_at", "refunded_at"]
    search_fields = ["order__order_number", "customer__email", "return_tracking_number"]
    list_select_related = ["order", "customer"]
    date_hierarchy = "created_at"
    ordering = ["-id"]
    inlines = [OrderReturnItemInline]
    fields = (
        "workflow",
        "order",
        "customer",
        "status",
        "reason",
        "reason_text",
        "refund_destination",
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
        "inspection_notes",
        "restocked_at",
        "notes",
        "rejection_reason",
        "created_at",
        "approved_at",
        "approved_by",
        "rejected_at",
        "rejected_by",
        "received_at",
        "received_by",
        "inspected_at",
        "inspected_by",
        "refunded_at",
        "refunded_by",
    )
    readonly_fields = fields
    actions = [
        _bulk_action("approve", _("Approve selected returns (no fees)")),
        _bulk_action("receive", _("Mark selected returns as received")),
        _bulk_action("refund", _("Refund selected inspected returns")),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # customers ask for returns; staff move them along

    def has_delete_permission(self, request: HttpRequest, obj: OrderReturn | None = None) -> bool:
        return False  # the history, the refunds and the stock ledger point at it

    @admin.display(description=_("customer"), ordering="customer__email")
    def customer_email(self, obj: OrderReturn) -> str:
        return obj.customer.email

    @admin.display(description=_("refund due"))
    def refund_due(self, obj: OrderReturn) -> Any:
        return obj.refund_due

    @admin.display(description=_("next steps"))
    def workflow(self, obj: OrderReturn) -> str:
        allowed = [
            (reverse(f"admin:orders_orderreturn_{step}", args=[obj.pk]), label)
            for step, (to, _form, _call, label) in STEPS.items()
            if to in RETURN_TRANSITIONS[ReturnStatus(obj.status)]
        ]
        if not allowed:
            return str(_("None: this return is closed."))
        return format_html_join(" ", '<a class="button" href="{}">{}</a>', allowed)

    def get_urls(self) -> list[URLPattern]:
        steps = [
            path(
                f"<path:object_id>/{step}/",
                self.admin_site.admin_view(self.step_view),
                {"step": step},
                name=f"orders_orderreturn_{step}",
            )
            for step in STEPS
        ]
        return [*steps, *super().get_urls()]  # before the catch-all change URL

    def step_view(self, request: HttpRequest, object_id: str, step: str) -> HttpResponse:
        """One step of a return: a form, then the step's service; a refusal is shown, nothing changes."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        rma = self.get_object(request, object_id)
        if rma is None:
            raise Http404(_("No such return."))
        to, form_class, call, label = STEPS[step]
        form = form_class(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            data = {key: value for key, value in form.cleaned_data.items() if value not in (None, "")}
            if step == "approve":
                data["customer_pays_shipping"] = form.cleaned_data["customer_pays_shipping"]
            try:
                call(rma, signed_in_user(request), data, client_meta(request))
            except DomainError as exc:
                form.add_error(None, str(exc.message))
            else:
                self.message_user(
                    request, _("%(rma)s is now %(state)s.") % {"rma": rma, "state": to.label.lower()}, messages.SUCCESS
                )
                return redirect("admin:orders_orderreturn_change", rma.pk)
        elif request.method != "POST" and step == "approve":
            form = form_class(initial={"customer_pays_shipping": rma.customer_pays_shipping})
        context = {
            **self.admin_site.each_context(request),
            "title": format_html("{} {}", label, rma),
            "opts": self.opts,
            "form": form,
            "order_return": rma,
            "submit_label": label,
        }
        return TemplateResponse(request, "orders/admin/return_step.html", context)
