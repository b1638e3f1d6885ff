"""The staff console for saved payment methods: read-only (a customer adds and removes their own
cards). The gateway's token is never shown: with the shop's keys it could charge the card."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyAdminMixin

from .models import PaymentMethod


@admin.register(PaymentMethod)
class PaymentMethodAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "user", "card", "expiry", "is_default", "status", "gateway", "created_at"]
    list_select_related = ["user", "gateway"]
    list_filter = ["status", "brand", "is_default", "gateway"]
    search_fields = ["user__email", "=last4"]
    date_hierarchy = "created_at"
    fields = (
        "user",
        "gateway",
        "method_type",
        "card",
        "expiry",
        "billing_name",
        "billing_line1",
        "billing_line2",
        "billing_city",
        "billing_region",
        "billing_postal_code",
        "billing_country",
        "is_default",
        "status",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[PaymentMethod]:
        return super().get_queryset(request).select_related("user", "gateway")

    @admin.display(description=_("Card"), ordering="brand")
    def card(self, method: PaymentMethod) -> str:
        return str(method)

    @admin.display(description=_("Expires"))
    def expiry(self, method: PaymentMethod) -> str:
        if method.exp_month is None or method.exp_year is None:
            return "—"
        label = f"{method.exp_month:02d}/{method.exp_year}"
        return f"{label} ({_('expired')})" if method.is_expired else label
