"""Abandoned carts in the staff console: read-only, filtered, with a recovery summary and a
14-day chart above the list (for the rows the filters select)."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from common.admin import ReadOnlyAdminMixin
from common.money import ZERO

from .models import AbandonedCart, AbandonedCartStatus

CHART_DAYS = 14
_REACHED = [AbandonedCartStatus.RECOVERED, AbandonedCartStatus.CONVERTED]


def abandoned_summary(queryset: QuerySet[AbandonedCart]) -> dict[str, Any]:
    """Count, recovery rate (recovered or ordered / all), value abandoned, value recovered (the
    orders placed from them) and recovery e-mails sent, for these abandonments (one query)."""
    figures = queryset.aggregate(
        count=Count("pk"),
        reached=Count("pk", filter=Q(status__in=_REACHED)),
        abandoned_value=Sum("conversion_value"),
        recovered_value=Sum("recovered_value"),
        emails=Sum("recovery_attempts"),
    )
    count = figures["count"] or 0
    return {
        "count": count,
        "reached": figures["reached"] or 0,
        "rate": (Decimal(figures["reached"]) * 100 / count).quantize(Decimal("0.1")) if count else None,
        "abandoned_value": figures["abandoned_value"] or ZERO,
        "recovered_value": figures["recovered_value"] or ZERO,
        "emails": figures["emails"] or 0,
    }


def abandoned_by_day(queryset: QuerySet[AbandonedCart], *, days: int = CHART_DAYS) -> list[dict[str, Any]]:
    """Per day of the last `days` (today included, oldest first): abandoned, and how many of those
    were recovered or ordered since; with bar widths in percent of the busiest day (one query)."""
    today = timezone.localdate()
    first = today - dt.timedelta(days=days - 1)
    rows = (
        queryset.filter(abandoned_at__date__gte=first)
        .annotate(day=TruncDate("abandoned_at"))
        .order_by()
        .values("day")
        .annotate(abandoned=Count("pk"), recovered=Count("pk", filter=Q(status__in=_REACHED)))
    )
    by_day: dict[dt.date, dict[str, Any]] = {row["day"]: dict(row) for row in rows}
    chart: list[dict[str, Any]] = []
    for n in range(days):
        date = first + dt.timedelta(days=n)
        found = by_day.get(date, {})
        chart.append({"day": date, "abandoned": found.get("abandoned", 0), "recovered": found.get("recovered", 0)})
    top = max((entry["abandoned"] for entry in chart), default=0) or 1
    for entry in chart:
        entry["abandoned_width"] = round(entry["abandoned"] * 100 / top)
        entry["recovered_width"] = round(entry["recovered"] * 100 / top)
    return chart


@admin.register(AbandonedCart)
class AbandonedCartAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    change_list_template = "admin/carts/abandonedcart/change_list.html"
    list_display = [
        "abandoned_at",
        "cart",
        "customer",
        "status",
        "item_count",
        "conversion_value",
        "estimated_recovery_value",
        "recovered_value",
        "currency",
        "recovery_attempts",
        "device_type",
        "referral_source",
    ]
    list_select_related = ["customer"]
    list_filter = [
        "status",
        "device_type",
        "referral_source",
        ("abandoned_at", admin.DateFieldListFilter),
        ("customer", admin.EmptyFieldListFilter),
    ]
    search_fields = ["customer__email"]
    date_hierarchy = "abandoned_at"
    readonly_fields = [f.name for f in AbandonedCart._meta.fields]
    fields = list(readonly_fields)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        # The list as filtered and searched: the summary and the chart describe the same rows.
        if isinstance(response, TemplateResponse) and response.context_data and "cl" in response.context_data:
            queryset = response.context_data["cl"].queryset
            response.context_data["summary"] = abandoned_summary(queryset)
            response.context_data["chart"] = abandoned_by_day(queryset)
            response.context_data["chart_days"] = CHART_DAYS
        return response


__all__ = ["AbandonedCartAdmin", "abandoned_by_day", "abandoned_summary"]
