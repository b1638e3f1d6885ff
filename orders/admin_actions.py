"""The staff console's order actions, one way for all: `run_for_each` calls the service once per
selected row and reports each refusal; `confirm_action` is the second step of an action that
needs input, a page of its own that asks for what the service needs (a reason, a fee, a
compensation, a delivery time), the Django-admin way (like "Delete selected"): the selected
rows ride along as hidden inputs, and "apply" runs the service for each.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from common.exceptions import DomainError
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


def run_for_each(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    call: Callable[[Any], object],
    *,
    done_message: Any,
    label: Callable[[Any], object] = str,
    **message_args: Any,
) -> int:
    """Call a service once per selected row (by primary key, each in its own transaction): each
    refusal (a `DomainError`) is an error message naming the row by `label`, the rows done are one
    success message (`done_message` % {"count": …, **message_args}). The number done."""
    done = 0
    for row in queryset.order_by("pk"):
        try:
            call(row)
        except DomainError as exc:
            modeladmin.message_user(request, f"{label(row)}: {exc.message}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, done_message % {"count": done, **message_args}, messages.SUCCESS)
    return done


def confirm_action(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    form_class: type[forms.Form],
    action: str,
    title: Any,
    call: Callable[[Any, dict[str, Any]], object],
    done_message: Any,
    intro: Any = "",
    label: Callable[[Any], object] = str,
    template_name: str = "orders/admin/confirm_action.html",
    extra_context: dict[str, Any] | None = None,
) -> HttpResponse | None:
    """The second step of every order action that needs input: a page with the action's form for
    the selected rows; on a valid "apply", `call(row, form data)` for each row (`run_for_each`)
    and back to the changelist (None). A form with errors is shown again with them, and nothing
    is done."""
    if "apply" in request.POST:
        form = form_class(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            run_for_each(
                modeladmin, request, queryset, lambda row: call(row, data), done_message=done_message, label=label
            )
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
        **(extra_context or {}),
    }
    return TemplateResponse(request, template_name, context)


__all__ = [
    "CancellationApproveForm",
    "CancellationRejectForm",
    "IssueCloseForm",
    "IssueResolveForm",
    "StaffCancelForm",
    "confirm_action",
    "run_for_each",
]
