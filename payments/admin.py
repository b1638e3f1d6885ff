"""The staff console for money. Everything is read-only: balances change only through the services
(the "Credit wallet" action calls `wallet_staff_credit`, which writes the ledger row naming the
staff member and the reason, and a payment log row), never by editing."""

from typing import Any

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
from common.http import client_meta

from .forms import WalletCreditForm
from .models import Payment, PaymentTransaction, Refund, Wallet, WalletEntry
from .services.topups import wallet_staff_credit


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True


# --- wallets ----------------------------------------------------------------------------------


class WalletEntryInline(ReadOnlyInline):
    model = WalletEntry
    fields = ["created_at", "entry_type", "amount", "balance_after", "reference", "order"]
    readonly_fields = fields
    ordering = ["-id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[WalletEntry]:
        return super().get_queryset(request).select_related("order")


@admin.register(Wallet)
class WalletAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["user", "balance", "currency", "updated_at"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    fields = ["user", "balance", "currency", "created_at", "updated_at"]
    readonly_fields = fields
    inlines = [WalletEntryInline]
    actions = ["credit_wallets"]

    def has_credit_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("payments.change_wallet")

    @admin.action(description=_("Credit selected wallets…"), permissions=["credit"])
    def credit_wallets(self, request: HttpRequest, queryset: QuerySet[Wallet]) -> HttpResponse | None:
        """Ask for an amount and a note, then top up each wallet through `wallet_charge`."""
        form = WalletCreditForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            amount, reason = form.cleaned_data["amount"], form.cleaned_data["note"].strip()
            staff = signed_in_user(request)
            credited = 0
            for wallet in queryset.select_related("user").order_by("pk"):
                try:
                    entry = wallet_staff_credit(
                        user=wallet.user, amount=amount, actor=staff, reason=reason, **client_meta(request)
                    )
                except DomainError as exc:
                    self.message_user(request, f"{wallet.user}: {exc.message}", messages.ERROR)
                else:
                    credited += 1
                    self.log_change(
                        request, wallet, f"Credited {entry.amount} {wallet.currency} (entry {entry.pk}): {reason}"
                    )
            if credited:
                self.message_user(
                    request,
                    ngettext(
                        "Credited %(amount)s to %(count)d wallet.",
                        "Credited %(amount)s to %(count)d wallets.",
                        credited,
                    )
                    % {"amount": amount, "count": credited},
                    messages.SUCCESS,
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Credit wallets"),
            "opts": self.model._meta,
            "wallets": queryset.select_related("user"),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": "credit_wallets",
        }
        return TemplateResponse(request, "payments/admin/wallet_credit.html", context)


@admin.register(WalletEntry)
class WalletEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "wallet_user", "entry_type", "signed_amount", "balance_after", "reference", "order"]
    list_select_related = ["wallet__user", "order"]
    list_filter = ["entry_type"]
    search_fields = ["wallet__user__email", "reference", "order__order_number"]
    date_hierarchy = "created_at"
    fields = [
        "wallet",
        "entry_type",
        "amount",
        "balance_after",
        "reference",
        "order",
        "payment",
        "created_by",
        "note",
        "created_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("Customer"), ordering="wallet__user__email")
    def wallet_user(self, entry: WalletEntry) -> str:
        return entry.wallet.user.email

    @admin.display(description=_("Amount"))
    def signed_amount(self, entry: WalletEntry) -> Any:
        return entry.signed_amount


# --- payments ---------------------------------------------------------------------------------


class PaymentTransactionInline(ReadOnlyInline):
    model = PaymentTransaction
    fields = ["created_at", "transaction_id", "transaction_type", "amount", "currency", "status", "response_message"]
    readonly_fields = fields


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ["created_at", "amount", "currency", "reason", "status", "processed_by"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Refund]:
        return super().get_queryset(request).select_related("processed_by")


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "order", "user", "method", "amount", "refunded_amount", "currency", "status", "created_at"]
    list_select_related = ["order", "user"]
    list_filter = ["status", "method"]
    search_fields = ["user__email", "order__order_number"]
    date_hierarchy = "created_at"
    fields = [
        "order",
        "user",
        "method",
        "amount",
        "refunded_amount",
        "currency",
        "status",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields
    inlines = [PaymentTransactionInline, RefundInline]


@admin.register(PaymentTransaction)
class PaymentTransactionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["transaction_id", "payment", "transaction_type", "amount", "currency", "status", "created_at"]
    list_select_related = ["payment"]
    list_filter = ["transaction_type", "status"]
    search_fields = ["transaction_id", "payment__order__order_number", "payment__user__email"]
    fields = [
        "payment",
        "transaction_id",
        "transaction_type",
        "amount",
        "currency",
        "status",
        "response_code",
        "response_message",
        "created_at",
    ]
    readonly_fields = fields


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "order", "payment", "amount", "currency", "status", "processed_by", "created_at"]
    list_select_related = ["order", "payment", "processed_by"]
    list_filter = ["status"]
    search_fields = ["order__order_number", "payment__user__email", "reason"]
    fields = ["payment", "order", "amount", "currency", "reason", "status", "processed_by", "created_at"]
    readonly_fields = fields


# The parts of issue 14 in their own modules: fraud checks and rules; saved payment methods; the
# card engine (gateways with write-only keys, payments, webhooks, the log).
from . import admin_fraud, admin_gateways, admin_methods  # noqa: E402, F401
