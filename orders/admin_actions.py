"""The second step of the staff console's order actions (branch `cancel`): a page of its own that
asks for what the service needs (a reason, a fee, a compensation), the Django-admin way (like
"Delete selected"): the selected rows ride along as hidden inputs, and "apply" runs the action.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from payments.models import RefundDestination

from .models import NOTE_MAX_LENGTH, CancellationReason

MONEY_MAX = Decimal("99999999.99")


class StaffCancelForm(forms.Form):
    reason_code = forms.ChoiceField(label=_("Reason"), choices=CancellationReason.choices)
    reason = forms.CharField(
        label=_("Explanation"),
        max_length=255,
        help_text=_("Recorded in the order's history and shown to the customer."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CancellationApproveForm(forms.Form):
    fee = forms.DecimalField(
        label=_("Cancellation fee"),
        min_value=Decimal("0.00"),
        max_value=MONEY_MAX,
        decimal_places=2,
        initial=Decimal("0.00"),
        help_text=_("Kept from the refund (for example return shipping). At most what is left to refund."),
    )
    note = forms.CharField(
        label=_("Note to the customer"),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CancellationRejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the cancellation is refused"), max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )


class IssueResolveForm(forms.Form):
    resolution_notes = forms.CharField(
        label=_("How it was resolved"), max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )
    compensation = forms.DecimalField(
        label=_("Compensation"),
        min_value=Decimal("0.00"),
        max_value=MONEY_MAX,
        decimal_places=2,
        required=False,
        help_text=_("Optional. Never more than is left of what the customer paid for the order."),
    )
    destination = forms.ChoiceField(
        label=_("Give it back to"), choices=RefundDestination.choices, initial=RefundDestination.ORIGINAL
    )


class IssueCloseForm(forms.Form):
    note = forms.CharField(
        label=_("Note to the customer"),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def confirm_action(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    form_class: type[forms.Form],
    action: str,
    title: Any,
    intro: Any,
    apply: Callable[[dict[str, Any]], None],
) -> HttpResponse | None:
    """Show the action's form for the selected rows; on a valid "apply", run it and go back to the
    changelist (None). A form with errors is shown again with them, and nothing is done."""
    if "apply" in request.POST:
        form = form_class(request.POST)
        if form.is_valid():
            apply(form.cleaned_data)
            return None
    else:
        form = form_class()
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "opts": modeladmin.model._meta,
        "form": form,
        "queryset": queryset,
        "action": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "orders/admin/confirm_action.html", context)


__all__ = [
    "CancellationApproveForm",
    "CancellationRejectForm",
    "IssueCloseForm",
    "IssueResolveForm",
    "StaffCancelForm",
    "confirm_action",
]
