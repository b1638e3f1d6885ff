"""The sandbox processor's own pages: the card form (tokenisation) and the customer's confirmation
step (3-D Secure). They stand for pages a real processor hosts: the shop only ever sees the token
and the outcome, never the card number or the CVC.
"""

from typing import Any

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from common.http import same_site_url

from .gateways import gateway_for
from .gateways.sandbox import CardInvalidError, SandboxGateway, sandbox_intent_of, sandbox_return_url, sandbox_tokenize

# The card fields that never go back into a page, not even after an error.
SECRET_CARD_FIELDS = ("number", "cvc")


def _sandbox() -> SandboxGateway:
    if "sandbox" not in settings.PAYMENT_GATEWAYS:
        raise Http404
    gateway = gateway_for("sandbox")
    assert isinstance(gateway, SandboxGateway)
    return gateway


class SandboxCardForm(forms.Form):
    number = forms.CharField(
        label=gettext_lazy("Card number"),
        max_length=23,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "cc-number", "spellcheck": "false"}),
    )
    exp_month = forms.IntegerField(
        label=gettext_lazy("Expiry month"),
        min_value=1,
        max_value=12,
        widget=forms.NumberInput(attrs={"autocomplete": "cc-exp-month", "placeholder": "MM"}),
    )
    exp_year = forms.IntegerField(
        label=gettext_lazy("Expiry year"),
        min_value=0,
        max_value=9999,
        widget=forms.NumberInput(attrs={"autocomplete": "cc-exp-year", "placeholder": "YYYY"}),
    )
    cvc = forms.CharField(
        label=gettext_lazy("Security code (CVC)"),
        max_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "cc-csc"}),
    )

    def forget_card(self) -> None:
        """Drop the number and the CVC from what the form would render back (errors stay)."""
        self.data = {key: value for key, value in self.data.items() if key not in SECRET_CARD_FIELDS}


class SandboxCardView(View):
    """`cards/new/?return=<path>`: the processor's card form; a valid card goes back to
    `<path>?token=…` (a path of this site only)."""

    template_name = "payments/sandbox/card.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        _sandbox()
        return self._render(request, SandboxCardForm(), request.GET.get("return"))

    def post(self, request: HttpRequest) -> HttpResponse:
        _sandbox()
        back = request.POST.get("return") or request.GET.get("return")
        form = SandboxCardForm(request.POST)
        if form.is_valid() and _return_path(request, back):
            data = form.cleaned_data
            try:
                card = sandbox_tokenize(
                    number=data["number"], exp_month=data["exp_month"], exp_year=data["exp_year"], cvc=data["cvc"]
                )
            except CardInvalidError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            else:
                return redirect(sandbox_return_url(_return_path(request, back) or "/", token=card.token))
        form.forget_card()
        return self._render(request, form, back, status=400)

    def _render(self, request: HttpRequest, form: SandboxCardForm, back: str | None, status: int = 200) -> HttpResponse:
        path = _return_path(request, back)
        context: dict[str, Any] = {"form": form, "return_path": path}
        return render(request, self.template_name, context, status=status if path else 400)


class SandboxConfirmView(View):
    """`confirm/<reference>/`: the customer approves or refuses the payment (3-D Secure), then goes
    back to the shop's return page (a path of this site only)."""

    template_name = "payments/sandbox/confirm.html"

    def get(self, request: HttpRequest, reference: str) -> HttpResponse:
        _sandbox()
        return self._render(request, reference)

    def post(self, request: HttpRequest, reference: str) -> HttpResponse:
        gateway = _sandbox()
        decision = request.POST.get("decision")
        if decision not in ("approve", "refuse"):
            return self._render(request, reference, error=_("Choose Approve or Refuse."), status=400)
        if sandbox_intent_of(reference) is None:
            raise Http404
        back = gateway.confirm(reference=reference, approve=decision == "approve")
        return redirect(same_site_url(request, back) or "/")

    def _render(self, request: HttpRequest, reference: str, *, error: str = "", status: int = 200) -> HttpResponse:
        intent = sandbox_intent_of(reference)
        if intent is None:
            raise Http404
        context = {"intent": intent, "waiting": intent.state == "action_required", "error": error}
        return render(request, self.template_name, context, status=status)


def _return_path(request: HttpRequest, candidate: str | None) -> str | None:
    """`candidate` when it is a path of this site (never another site: no open redirect)."""
    if not candidate or not candidate.startswith("/") or candidate.startswith("//"):
        return None
    return same_site_url(request, candidate)
