"""Refunds in the staff console: the refund list with the calls made to the card's processor, a
"Refund…" action on payments and "Retry" for failed refunds, each calling the same service as the
API (`payments.services.refunds`), so the cap and the gateway rules hold whatever door is used.

The "Refund…" action joins whichever Payment admin is registered when this module is imported
(payments/admin.py imports it last), so the payments parts' admin modules stay independent.
"""

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.request import signed_in_user
from common.admin import ReadOnlyAdminMixin
from common.exceptions import DomainError

from .models import Payment, PaymentLog, Refund, RefundDestination, RefundStatus, RefundTransaction
from .services import payment_refundable
from .services.refunds import refund_request, refund_retry

REFUND_MAX = Decimal("99999999.99")


def may_refund(request: HttpRequest) -> bool:
    return request.user.has_perm("payments.add_refund")


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"),
        min_value=Decimal("0.01"),
        max_value=REFUND_MAX,
        decimal_places=2,
        required=False,
        help_text=_("Blank: everything that is left of each payment. Never more than is left."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why the money is given back.")},
        help_text=_("Required: recorded with the refund."),
    )
    destination = forms.ChoiceField(
        label=_("Give it back to"),
        choices=RefundDestination.choices,
        initial=RefundDestination.ORIGINAL,
        help_text=_("The original payment (a card: through its processor) or store credit in the customer's wallet."),
    )


# --- refunds ------------------------------------------------------------------------------------


class RefundTransactionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = RefundTransaction
    extra = 0
    can_delete = False
    fields = ("created_at", "transaction_id", "amount", "currency", "status", "response_code", "response_message")
    readonly_fields = fields


class RefundLogInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PaymentLog
    fk_name = "refund"
    extra = 0
    can_delete = False
    fields = ("created_at", "level", "source", "message", "initiated_by")
    readonly_fields = fields
    ordering = ["id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PaymentLog]:
        return super().get_queryset(request).select_related("initiated_by")


class RefundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "order",
        "payment",
        "amount",
        "currency",
        "destination",
        "status",
        "failure_message",
        "processed_by",
        "created_at",
    ]
    list_select_related = ["order", "payment", "processed_by"]
    list_filter = ["status", "destination"]
    search_fields = ["order__order_number", "payment__user__email", "reason", "reference", "gateway_reference"]
    date_hierarchy = "created_at"
    fields = (
        "payment",
        "order",
        "amount",
        "currency",
        "destination",
        "status",
        "reason",
        "reference",
        "gateway_reference",
        "failure_message",
        "processed_by",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    inlines = [RefundTransactionInline, RefundLogInline]
    actions = ["retry"]

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return may_refund(request)

    @admin.action(description=_("Retry selected failed refunds"), permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[Refund]) -> None:
        """Send each failed refund to the card again (its amount is taken from the cap again)."""
        staff = signed_in_user(request)
        retried = 0
        for refund in queryset.order_by("pk"):
            if refund.status != RefundStatus.FAILED:
                self.message_user(request, _("Refund %(id)s is not failed: left as it is.") % {"id": refund.pk})
                continue
            try:
                refund_retry(refund_id=refund.pk, actor=staff)
            except DomainError as exc:
                self.message_user(request, f"{_('Refund')} {refund.pk}: {exc.message}", messages.ERROR)
            else:
                retried += 1
        if retried:
            message = ngettext("%(count)d refund sent again.", "%(count)d refunds sent again.", retried)
            self.message_user(request, message % {"count": retried}, messages.SUCCESS)


# --- the "Refund…" action on payments -----------------------------------------------------------


class PaymentRefundActionMixin:
    """The "Refund…" action: a form (amount, reason, destination), then `refund_request` for each
    selected payment; a refusal (more than is left, not an order's payment) is shown per payment."""

    admin_site: admin.AdminSite
    model: type[Payment]
    message_user: Any

    def has_refund_permission(self, request: HttpRequest) -> bool:
        return may_refund(request)

    @admin.action(description=_("Refund selected payments…"), permissions=["refund"])
    def refund(self, request: HttpRequest, queryset: QuerySet[Payment]) -> HttpResponse | None:
        form = RefundForm(request.POST if "apply" in request.POST else None)
        payments = list(queryset.select_related("user", "order").order_by("pk"))
        if form.is_valid():
            self._refund_each(request, payments, form.cleaned_data)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Refund payments"),
            "opts": self.model._meta,
            "form": form,
            "payments": [(payment, payment_refundable(payment)) for payment in payments],
            "action": "refund",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "payments/admin/refund_payments.html", context)

    def _refund_each(self, request: HttpRequest, payments: list[Payment], data: dict[str, Any]) -> None:
        staff = signed_in_user(request)
        done = 0
        for payment in payments:
            amount = data["amount"] or payment_refundable(payment)
            try:
                refund_request(
                    payment_id=payment.pk,
                    amount=amount,
                    reason=data["reason"],
                    actor=staff,
                    destination=data["destination"],
                )
            except DomainError as exc:
                self.message_user(request, f"{_('Payment')} {payment.pk}: {exc.message}", messages.ERROR)
            else:
                done += 1
        if done:
            message = ngettext(
                "%(count)d refund made (to a card: on its way, see Refunds).",
                "%(count)d refunds made (to a card: on their way, see Refunds).",
                done,
            )
            self.message_user(request, message % {"count": done}, messages.SUCCESS)


def with_refund_action(base: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    """`base` (the registered Payment admin's class) with the "Refund…" action added."""
    actions = [*(base.actions or []), "refund"]
    return type(base.__name__, (PaymentRefundActionMixin, base), {"actions": actions, "__module__": __name__})


if admin.site.is_registered(Refund):
    admin.site.unregister(Refund)
admin.site.register(Refund, RefundAdmin)

_payment_admin_class = type(admin.site.get_model_admin(Payment))
admin.site.unregister(Payment)
admin.site.register(Payment, with_refund_action(_payment_admin_class))
