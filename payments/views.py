"""Wallet pages. Thin: parse the form, call a service, render or redirect with a message.

The top-up form works without JavaScript (post, redirect, message); with htmx it swaps only the
form and updates the balance and the ledger out of band.
"""

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django_htmx.middleware import HtmxDetails

from accounts.request import signed_in_user
from common.exceptions import DomainError, IdempotencyKeyReuseError

from . import selectors, services
from .forms import WalletChargeForm

LEDGER_PAGE_SIZE = 20


class HtmxHttpRequest(HttpRequest):
    """A request that went through django-htmx's middleware (typing only)."""

    htmx: HtmxDetails


class WalletView(LoginRequiredMixin, View):
    """The balance, the ledger (paginated) and the top-up form."""

    template_name = "payments/wallet.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, form=WalletChargeForm())

    def post(self, request: HtmxHttpRequest) -> HttpResponse:
        form = WalletChargeForm(request.POST)
        if form.is_valid():
            try:
                charged = self._charge(request, form)
            except IdempotencyKeyReuseError:
                form = self._with_fresh_key(request)
            except DomainError as exc:
                form.add_error("amount", str(exc.message))
            else:
                entry = charged.entry
                if charged.created:
                    message = _("%(amount)s %(currency)s added to your wallet.") % {
                        "amount": entry.amount,
                        "currency": entry.wallet.currency,
                    }
                else:
                    message = _("That top-up was already made; nothing more was added.")
                if request.htmx:
                    return self._render(
                        request, form=WalletChargeForm(), template="payments/wallet_charged.html", charged=message
                    )
                messages.add_message(request, messages.SUCCESS if charged.created else messages.INFO, message)
                return redirect("payments:wallet")
        template = f"{self.template_name}#topup" if request.htmx else self.template_name
        return self._render(request, form=form, template=template)

    @staticmethod
    def _charge(request: HttpRequest, form: WalletChargeForm) -> services.Charged:
        user, amount, key = signed_in_user(request), form.cleaned_data["amount"], form.cleaned_data["idempotency_key"]
        if key:
            return services.wallet_charge_once(user=user, amount=amount, idempotency_key=key)
        return services.Charged(entry=services.wallet_charge(user=user, amount=amount), created=True)

    @staticmethod
    def _with_fresh_key(request: HttpRequest) -> WalletChargeForm:
        # The submitted key belongs to an earlier top-up: the next submit needs its own.
        data = request.POST.copy()
        data["idempotency_key"] = uuid.uuid4().hex
        form = WalletChargeForm(data)
        form.is_valid()
        form.add_error(None, _("This form was already used for another top-up; check your balance and try again."))
        return form

    def _render(
        self, request: HttpRequest, *, form: WalletChargeForm, template: str | None = None, charged: str = ""
    ) -> HttpResponse:
        user = signed_in_user(request)
        page = Paginator(selectors.wallet_entries_of(user=user), LEDGER_PAGE_SIZE).get_page(request.GET.get("page"))
        context: dict[str, Any] = {
            "wallet": selectors.wallet_of(user=user),
            "entries": page,
            "form": form,
            "charged_message": charged,
        }
        return render(request, template or self.template_name, context)
