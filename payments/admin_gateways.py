"""The card engine in the staff console: the processors' settings with write-only keys, and the
payments, processor calls, webhooks, payment log and sandbox ledger, read-only.

A key typed into "New API key" (and the others) is encrypted on save (`payments.secrets`) and
never shown again, not even as dots: the list and the form say only "set" or "not set", and an
empty input keeps the key there is.

The Payment admin extends whichever one is registered when this module is imported (payments/
admin.py imports the parts' modules last, in any order), so another part's actions on payments
(refunds) stay whichever of the two is imported first.
"""

import json
import re
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.request import signed_in_user
from common.admin import ReadOnlyAdminMixin

from .models import (
    GATEWAY_SECRET_MAX_LENGTH,
    Payment,
    PaymentGateway,
    PaymentLog,
    PaymentMethodType,
    PaymentTransaction,
    SandboxOperation,
    WebhookEvent,
)
from .secrets import secret_encrypt

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The write-only inputs and the encrypted column each one fills.
SECRET_INPUTS = {
    "new_api_key": "api_key_encrypted",
    "new_secret_key": "secret_key_encrypted",
    "new_webhook_secret": "webhook_secret_encrypted",
}
CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")


def _secret_input(label: "StrOrPromise") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        strip=True,
        max_length=GATEWAY_SECRET_MAX_LENGTH,
        # Never rendered back with a value, and no browser should offer to fill it in.
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the current one. Stored encrypted; never shown again."),
    )


class CodeListField(forms.CharField):
    """A list of codes typed as "USD, EUR" (a JSON list such as ["USD"] is taken too)."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(str(item) for item in value)
        if isinstance(value, str) and value.startswith("["):
            try:
                return ", ".join(str(item) for item in json.loads(value))
            except (ValueError, TypeError):
                return value
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        codes = [code for code in re.split(r"[\s,]+", re.sub(r"[\[\]\"']", " ", text)) if code]
        return list(dict.fromkeys(codes))  # repeated codes once, in the order given


class PaymentGatewayForm(forms.ModelForm):
    supported_currencies = CodeListField(
        label=_("Supported currencies"),
        required=False,
        max_length=500,
        help_text=_("Three-letter ISO codes separated by commas, e.g. USD, EUR."),
    )
    supported_methods = CodeListField(
        label=_("Supported methods"),
        required=False,
        max_length=500,
        help_text=_("Separated by commas; known methods: %(methods)s.")
        % {"methods": ", ".join(PaymentMethodType.values)},
    )
    webhook_url = forms.URLField(label=_("Webhook URL"), required=False, assume_scheme="https", max_length=200)
    new_api_key = _secret_input(_("New API key"))
    new_secret_key = _secret_input(_("New secret key"))
    new_webhook_secret = _secret_input(_("New webhook secret"))

    class Meta:
        model = PaymentGateway
        fields = ["code", "name", "status", "supported_currencies", "supported_methods", "fee_rate", "webhook_url"]

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"]
        if code not in settings.PAYMENT_GATEWAYS:
            raise forms.ValidationError(
                _("Unknown gateway code. Known codes: %(codes)s.") % {"codes": ", ".join(settings.PAYMENT_GATEWAYS)}
            )
        return code

    def clean_supported_currencies(self) -> list[str]:
        codes = [code.upper() for code in self.cleaned_data["supported_currencies"]]
        wrong = [code for code in codes if not CURRENCY_CODE.match(code)]
        if wrong:
            raise forms.ValidationError(_("Not a three-letter currency code: %(codes)s.") % {"codes": ", ".join(wrong)})
        return list(dict.fromkeys(codes))

    def clean_supported_methods(self) -> list[str]:
        methods = [method.lower() for method in self.cleaned_data["supported_methods"]]
        wrong = [method for method in methods if method not in PaymentMethodType.values]
        if wrong:
            raise forms.ValidationError(
                _("Unknown payment method: %(methods)s. Known: %(known)s.")
                % {"methods": ", ".join(wrong), "known": ", ".join(PaymentMethodType.values)}
            )
        return list(dict.fromkeys(methods))

    def clean_fee_rate(self) -> Any:
        rate = self.cleaned_data["fee_rate"]
        if rate is not None and not 0 <= rate < 1:
            raise forms.ValidationError(_("A fraction from 0 up to (not including) 1: 0.029 is 2.9%."))
        return rate

    def save(self, commit: bool = True) -> PaymentGateway:
        gateway: PaymentGateway = super().save(commit=False)
        for input_name, column in SECRET_INPUTS.items():
            plain = self.cleaned_data.get(input_name)
            if plain:  # empty: the key there is stays
                setattr(gateway, column, secret_encrypt(plain))
        if commit:
            gateway.save()
        return gateway


def _is_set(token: str) -> str:
    return str(_("set")) if token else str(_("not set"))


@admin.register(PaymentGateway)
class PaymentGatewayAdmin(admin.ModelAdmin):
    form = PaymentGatewayForm
    list_display = [
        "name",
        "code",
        "status",
        "currencies",
        "fee_rate",
        "api_key",
        "secret_key",
        "webhook_secret",
        "configured_by",
        "updated_at",
    ]
    list_select_related = ["configured_by"]
    list_filter = ["status"]
    search_fields = ["name", "code"]
    fieldsets = [
        (None, {"fields": ["code", "name", "status", "supported_currencies", "supported_methods", "fee_rate"]}),
        (
            _("Keys"),
            {
                "description": _("Each key shows only whether it is set. Type a new one to replace it."),
                "fields": [
                    ("api_key", "new_api_key"),
                    ("secret_key", "new_secret_key"),
                    ("webhook_secret", "new_webhook_secret"),
                    "webhook_url",
                ],
            },
        ),
        (_("Record"), {"fields": ["configured_by", "created_at", "updated_at"]}),
    ]
    readonly_fields = ["api_key", "secret_key", "webhook_secret", "configured_by", "created_at", "updated_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # payments and saved cards point at it (PROTECT): set it inactive instead

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The code names the processor's class and its rows' references: fixed once saved.
        return [*self.readonly_fields, "code"] if obj is not None else list(self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: PaymentGateway, form: forms.ModelForm, change: bool) -> None:
        obj.configured_by = signed_in_user(request)
        super().save_model(request, obj, form, change)

    @admin.display(description=_("Currencies"))
    def currencies(self, gateway: PaymentGateway) -> str:
        return ", ".join(gateway.supported_currencies or [])

    @admin.display(description=_("API key"))
    def api_key(self, gateway: PaymentGateway) -> str:
        return _is_set(gateway.api_key_encrypted)

    @admin.display(description=_("Secret key"))
    def secret_key(self, gateway: PaymentGateway) -> str:
        return _is_set(gateway.secret_key_encrypted)

    @admin.display(description=_("Webhook secret"))
    def webhook_secret(self, gateway: PaymentGateway) -> str:
        return _is_set(gateway.webhook_secret_encrypted)


# --- payments and what happened to them -----------------------------------------------------------


class _ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True


class PaymentCallInline(_ReadOnlyInline):
    model = PaymentTransaction
    verbose_name_plural = _("Processor calls")
    readonly_fields = [
        "created_at",
        "transaction_id",
        "transaction_type",
        "amount",
        "currency",
        "status",
        "response_code",
        "response_message",
    ]
    fields = tuple(readonly_fields)


class PaymentLogInline(_ReadOnlyInline):
    model = PaymentLog
    fk_name = "payment"
    readonly_fields = ["created_at", "level", "source", "message", "initiated_by", "ip_address"]
    fields = tuple(readonly_fields)
    ordering = ["id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PaymentLog]:
        return super().get_queryset(request).select_related("initiated_by")


PAYMENT_FIELDS = [
    "order",
    "purpose",
    "user",
    "method",
    "payment_method",
    "gateway",
    "gateway_reference",
    "amount",
    "captured_amount",
    "refunded_amount",
    "currency",
    "status",
    "failure_code",
    "failure_message",
    "action_url",
    "attempts",
    "retry_after",
    "client_ip",
    "idempotency_key",
    "authorized_at",
    "captured_at",
    "created_at",
    "updated_at",
]


class CardPaymentAdminMixin:
    """Card payments on the Payment admin: who, what, where it stands at the processor, the calls
    made and the log; every field read-only (money moves only through the services)."""

    list_display = [
        "id",
        "order",
        "user",
        "purpose",
        "method",
        "card",
        "gateway",
        "amount",
        "captured_amount",
        "refunded_amount",
        "currency",
        "status",
        "created_at",
    ]
    list_select_related = ["order", "user", "payment_method", "gateway"]
    list_filter = ["status", "method", "purpose", "gateway"]
    # And the payment's id (a number typed alone), by get_search_results.
    search_fields = ["=gateway_reference", "user__email", "order__order_number"]
    fields = PAYMENT_FIELDS
    readonly_fields = PAYMENT_FIELDS

    def get_inlines(self, request: HttpRequest, obj: Any) -> list[Any]:
        others = [
            inline
            for inline in super().get_inlines(request, obj)  # type: ignore[misc]
            if inline.model not in (PaymentTransaction, PaymentLog)
        ]
        return [PaymentCallInline, *others, PaymentLogInline]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Payment], search_term: str) -> Any:
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)  # type: ignore[misc]
        return found | _by_id(queryset, search_term), may_have_duplicates

    @admin.display(description=_("Card"), ordering="payment_method__last4")
    def card(self, payment: Payment) -> str:
        method = payment.payment_method
        return f"{method.brand} •••• {method.last4}" if method is not None else "—"


def _with_card_payments(base: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    """`base` (the registered Payment admin's class) showing card payments; its actions kept."""
    return type(base.__name__, (CardPaymentAdminMixin, base), {"__module__": __name__})


_registered_payment_admin = type(admin.site.get_model_admin(Payment))
admin.site.unregister(Payment)
admin.site.register(Payment, _with_card_payments(_registered_payment_admin))


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["received_at", "gateway", "event_type", "event_id", "payment", "outcome", "processed_at"]
    list_select_related = ["gateway", "payment"]
    list_filter = ["gateway", "event_type"]
    search_fields = ["=event_id", "event_type", "=payment__gateway_reference"]
    date_hierarchy = "received_at"
    readonly_fields = [
        "gateway",
        "event_id",
        "event_type",
        "payment",
        "occurred_at",
        "received_at",
        "processed_at",
        "outcome",
        "pretty_payload",
    ]
    fields = tuple(readonly_fields)

    @admin.display(description=_("Payload"))
    def pretty_payload(self, event: WebhookEvent) -> str:
        return _pretty_json(event.payload)


@admin.register(PaymentLog)
class PaymentLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "level", "source", "message", "payment", "refund", "initiated_by", "ip_address"]
    list_select_related = ["payment", "refund", "initiated_by"]
    list_filter = ["level", "source"]
    # And the payment's id (a number typed alone), by get_search_results.
    search_fields = ["message", "=payment__gateway_reference", "initiated_by__email"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "created_at",
        "level",
        "source",
        "message",
        "payment",
        "refund",
        "initiated_by",
        "ip_address",
        "user_agent",
        "pretty_details",
    ]
    fields = tuple(readonly_fields)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[PaymentLog], search_term: str) -> Any:
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return found | _by_id(queryset, search_term, field="payment_id"), may_have_duplicates

    @admin.display(description=_("Details"))
    def pretty_details(self, log: PaymentLog) -> str:
        return _pretty_json(log.details)


@admin.register(SandboxOperation)
class SandboxOperationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The sandbox processor's own ledger (its side, not the shop's), to see what it was asked."""

    list_display = ["created_at", "operation", "reference", "amount", "state", "key"]
    list_filter = ["operation", "state"]
    search_fields = ["=reference", "=key"]
    readonly_fields = ["created_at", "operation", "reference", "amount", "state", "key", "pretty_result"]
    fields = tuple(readonly_fields)

    @admin.display(description=_("Result"))
    def pretty_result(self, operation: SandboxOperation) -> str:
        return _pretty_json(operation.result)


def _by_id(queryset: QuerySet[Any], search_term: str, *, field: str = "pk") -> QuerySet[Any]:
    """The rows whose `field` is the number typed (none for other words; the column's index used)."""
    term = search_term.strip()
    if not term.isdigit() or len(term) > 18:  # beyond a bigint: no row
        return queryset.none()
    return queryset.filter(**{field: int(term)})


def _pretty_json(value: Any) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str))
