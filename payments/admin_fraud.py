"""The staff console for fraud checks: the checks (read-only, cleared or blocked by an action that
asks for a note and calls the review services) and the rules (one row staff edit)."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from accounts.request import signed_in_user
from common.admin import ReadOnlyAdminMixin
from common.exceptions import DomainError

from .models import FraudCheck, FraudRules
from .services.fraud import RULE_LABELS, fraud_review_block, fraud_review_clear, fraud_rules

# --- checks -----------------------------------------------------------------------------------


class ScoreBandFilter(admin.SimpleListFilter):
    title = _("risk score")
    parameter_name = "score"
    BANDS: dict[str, tuple[Decimal, Decimal]] = {
        "low": (Decimal("0"), Decimal("0.25")),
        "medium": (Decimal("0.25"), Decimal("0.5")),
        "high": (Decimal("0.5"), Decimal("0.75")),
        "very_high": (Decimal("0.75"), Decimal("1.001")),
    }

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(key, f"{low:.2f} to {min(high, Decimal(1)):.2f}") for key, (low, high) in self.BANDS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[FraudCheck]) -> QuerySet[FraudCheck]:
        band = self.BANDS.get(str(self.value()))
        if band is None:
            return queryset
        return queryset.filter(risk_score__gte=band[0], risk_score__lt=band[1])


class ReviewNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        max_length=255,
        help_text=_("Why: kept on the check and in the payment log. The customer never sees it."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@admin.register(FraudCheck)
class FraudCheckAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "payment", "user", "risk_score", "status", "rules_fired", "created_at", "reviewed_by"]
    list_select_related = ["payment", "user", "reviewed_by"]
    list_filter = ["status", ScoreBandFilter]
    search_fields = ["user__email"]
    date_hierarchy = "created_at"
    fields = (
        "payment",
        "user",
        "risk_score",
        "status",
        "rules_fired",
        "customer_velocity",
        "address_velocity",
        "ip_address",
        "device_fingerprint",
        "reviewed_by",
        "reviewed_at",
        "review_note",
        "created_at",
    )
    readonly_fields = fields
    actions = ["clear_checks", "block_checks"]

    def has_review_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("payments.change_fraudcheck"))

    @admin.display(description=_("Rules that fired"))
    def rules_fired(self, check: FraudCheck) -> SafeString | str:
        if not check.rules:
            return "-"
        return format_html_join(
            ", ",
            "{} ({}: {})",
            (
                (RULE_LABELS.get(rule.get("code"), rule.get("code")), rule.get("weight"), rule.get("figure"))
                for rule in check.rules
            ),
        )

    @admin.action(description=_("Clear selected payments for authorization…"), permissions=["review"])
    def clear_checks(self, request: HttpRequest, queryset: QuerySet[FraudCheck]) -> HttpResponse | None:
        return self._review(
            request,
            queryset,
            action="clear_checks",
            title=_("Clear payments held for review"),
            intro=_("Each payment goes on to the card's processor for authorization."),
            review=fraud_review_clear,
            done=_("Cleared %(count)d payment(s): their authorization has started."),
        )

    @admin.action(description=_("Block selected payments…"), permissions=["review"])
    def block_checks(self, request: HttpRequest, queryset: QuerySet[FraudCheck]) -> HttpResponse | None:
        return self._review(
            request,
            queryset,
            action="block_checks",
            title=_("Block payments held for review"),
            intro=_("Each payment fails; the customer reads only “We could not process this payment.”"),
            review=fraud_review_block,
            done=_("Blocked %(count)d payment(s)."),
        )

    def _review(
        self,
        request: HttpRequest,
        queryset: QuerySet[FraudCheck],
        *,
        action: str,
        title: Any,
        intro: Any,
        review: Callable[..., FraudCheck],
        done: Any,
    ) -> HttpResponse | None:
        """Ask for the note (a page of its own); on "apply", call the service once per check."""
        form = ReviewNoteForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reviewer = signed_in_user(request)
            succeeded = 0
            for check in queryset.order_by("pk"):
                try:
                    review(check_id=check.pk, reviewer=reviewer, note=form.cleaned_data["note"])
                except DomainError as exc:
                    self.message_user(request, f"{check}: {exc.message}", messages.ERROR)
                else:
                    succeeded += 1
            if succeeded:
                self.message_user(request, done % {"count": succeeded}, messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "opts": self.model._meta,
            "checks": queryset.select_related("payment", "user"),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": action,
        }
        return TemplateResponse(request, "payments/fraud/admin_review.html", context)


# --- rules ------------------------------------------------------------------------------------


class FraudRulesForm(forms.ModelForm):
    """Thresholds and weights are fractions of the score (0 to 1); a weight of 0 switches its
    rule off; the review threshold is at most the block threshold."""

    FRACTIONS = [
        "review_threshold",
        "block_threshold",
        "customer_velocity_weight",
        "address_velocity_weight",
        "unusual_amount_weight",
        "declines_weight",
        "country_mismatch_weight",
    ]
    LIMITS = ["velocity_window_minutes", "customer_velocity_limit", "address_velocity_limit", "declines_limit"]

    class Meta:
        model = FraudRules
        fields = [
            "review_threshold",
            "block_threshold",
            "velocity_window_minutes",
            "customer_velocity_limit",
            "customer_velocity_weight",
            "address_velocity_limit",
            "address_velocity_weight",
            "unusual_amount_multiple",
            "unusual_amount_weight",
            "declines_limit",
            "declines_weight",
            "country_mismatch_weight",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bounds: list[tuple[list[str], int, int | None]] = [(self.FRACTIONS, 0, 1), (self.LIMITS, 1, None)]
        bounds.append((["unusual_amount_multiple"], 1, None))
        for names, low, high in bounds:
            for name in names:
                field = self.fields[name]
                field.validators.append(MinValueValidator(low))
                field.widget.attrs["min"] = str(low)
                if high is not None:
                    field.validators.append(MaxValueValidator(high))
                    field.widget.attrs["max"] = str(high)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        review, block = data.get("review_threshold"), data.get("block_threshold")
        if review is not None and block is not None and review > block:
            self.add_error("review_threshold", _("The review threshold must be at most the block threshold."))
        return data


@admin.register(FraudRules)
class FraudRulesAdmin(admin.ModelAdmin):
    """One row: the list goes straight to it (created with the defaults on first visit)."""

    form = FraudRulesForm
    fieldsets = [
        (_("Verdict"), {"fields": ["review_threshold", "block_threshold"]}),
        (
            _("Velocity"),
            {
                "fields": [
                    "velocity_window_minutes",
                    "customer_velocity_limit",
                    "customer_velocity_weight",
                    "address_velocity_limit",
                    "address_velocity_weight",
                    "declines_limit",
                    "declines_weight",
                ],
                "description": _(
                    "Payments made earlier within the window: card payments by the customer, any payment "
                    "from the client address, the customer's failed payments. A rule fires at its limit."
                ),
            },
        ),
        (
            _("Amount and countries"),
            {
                "fields": ["unusual_amount_multiple", "unusual_amount_weight", "country_mismatch_weight"],
                "description": _(
                    "Unusual amount: more than this multiple of the customer's average paid payment "
                    "(customers with no paid payment yet are not judged by it)."
                ),
            },
        ),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the one row exists from the first visit (fraud_rules())

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        rules = fraud_rules()
        return HttpResponseRedirect(reverse("admin:payments_fraudrules_change", args=[rules.pk]))
