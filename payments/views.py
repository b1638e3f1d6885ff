"""Wallet pages. Thin: parse the form, call a service, render or redirect with a message.

The top-up form works without JavaScript (post, redirect, message); with htmx it swaps only the
form and updates the balance and the ledger out of band.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from accounts.request import signed_in_user
from common.exceptions import DomainError, IdempotencyKeyReuseError
from common.http import client_meta

from . import selectors, services
from .exceptions import CardExpiredError, PaymentMethodNotFoundError
from .forms import WalletChargeForm
from .models import IN_FLIGHT_PAYMENT_STATES, PaymentStatus, WalletEntry
from .services.topups import wallet_topup_return_url, wallet_topup_start

LEDGER_PAGE_SIZE = 20


class HtmxHttpRequest(HttpRequest):
    """A request that went through django-htmx's middleware (typing only)."""

    htmx: HtmxDetails


class WalletView(LoginRequiredMixin, View):
    """The balance, the ledger (paginated) and the top-up form: paid with a saved card, or free
    while settings.WALLET_FREE_TOPUP is on (the demo)."""

    template_name = "payments/wallet.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, form=self._form(request))

    def post(self, request: HtmxHttpRequest) -> HttpResponse:
        form = self._form(request, request.POST)
        if form.is_valid():
            if form.cleaned_data["payment_method"] is not None:
                return self._paid(request, form)
            try:
                charged = self._charge(request, form)
            except IdempotencyKeyReuseError:
                form = self._with_fresh_key(request)
            except DomainError as exc:
                form.add_error("amount", str(exc.message))
            else:
                return self._charged(request, charged.entry, created=charged.created)
        template = f"{self.template_name}#topup" if request.htmx else self.template_name
        return self._render(request, form=form, template=template)

    def _paid(self, request: HtmxHttpRequest, form: WalletChargeForm) -> HttpResponse:
        """Charge the chosen card: credited now, or the bank's confirmation page, or a decline."""
        try:
            topup = wallet_topup_start(
                user=signed_in_user(request),
                amount=form.cleaned_data["amount"],
                payment_method_id=form.cleaned_data["payment_method"],
                idempotency_key=form.cleaned_data["idempotency_key"] or None,
                **client_meta(request),
            )
        except IdempotencyKeyReuseError:
            form = self._with_fresh_key(request)
        except (PaymentMethodNotFoundError, CardExpiredError) as exc:
            form.add_error("payment_method", str(exc.message))
        except DomainError as exc:
            form.add_error("amount", str(exc.message))
        else:
            payment = topup.payment
            if topup.entry is not None:
                return self._charged(request, topup.entry, created=not topup.replayed)
            if payment.status == PaymentStatus.ACTION_REQUIRED and payment.action_url:
                # The bank's confirmation step: it sends the customer back to this page.
                if request.htmx:
                    return HttpResponseClientRedirect(payment.action_url)
                return redirect(payment.action_url)
            if payment.status in (PaymentStatus.FAILED, PaymentStatus.VOIDED):
                # A new key: the customer may try again, with another card.
                form = self._with_fresh_key(request, error=_declined(payment.failure_message))
            else:
                return self._waiting(request, payment.pk)
        template = f"{self.template_name}#topup" if request.htmx else self.template_name
        return self._render(request, form=form, template=template)

    def _charged(self, request: HtmxHttpRequest, entry: WalletEntry, *, created: bool) -> HttpResponse:
        if created:
            message = _("%(amount)s %(currency)s added to your wallet.") % {
                "amount": entry.amount,
                "currency": entry.wallet.currency,
            }
        else:
            message = _("That top-up was already made; nothing more was added.")
        if request.htmx:
            return self._render(
                request, form=self._form(request), template="payments/wallet_charged.html", charged=message
            )
        messages.add_message(request, messages.SUCCESS if created else messages.INFO, message)
        return redirect("payments:wallet")

    def _waiting(self, request: HtmxHttpRequest, payment_id: int) -> HttpResponse:
        url = wallet_topup_return_url(payment_id)
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)

    @staticmethod
    def _form(request: HttpRequest, data: Any = None) -> WalletChargeForm:
        methods = [m for m in selectors.payment_methods_of(user=signed_in_user(request)) if not m.is_expired]
        return WalletChargeForm(data, methods=methods)

    @staticmethod
    def _charge(request: HttpRequest, form: WalletChargeForm) -> services.Charged:
        user, amount, key = signed_in_user(request), form.cleaned_data["amount"], form.cleaned_data["idempotency_key"]
        if key:
            return services.wallet_charge_once(user=user, amount=amount, idempotency_key=key)
        return services.Charged(entry=services.wallet_charge(user=user, amount=amount), created=True)

    def _with_fresh_key(self, request: HttpRequest, error: str | None = None) -> WalletChargeForm:
        # The submitted key belongs to an earlier top-up: the next submit needs its own.
        data = request.POST.copy()
        data["idempotency_key"] = uuid.uuid4().hex
        form = self._form(request, data)
        form.is_valid()
        form.add_error(
            None, error or _("This form was already used for another top-up; check your balance and try again.")
        )
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
            "topup": _topup_status(user, request.GET.get("topup")),
        }
        return render(request, template or self.template_name, context)


def _declined(reason: str) -> str:
    return f"{reason or _('Your card was declined.')} {_('Nothing was charged.')}"


@dataclass(frozen=True)
class TopUpStatus:
    """What the wallet page says about a card top-up the customer came back from (3-D Secure)."""

    message: str
    level: str  # success, info, error
    waiting: bool  # still in flight: the page refreshes itself until it is settled


def _topup_status(user: Any, raw_id: str | None) -> TopUpStatus | None:
    payment = selectors.wallet_topup_of(user=user, payment_id=raw_id) if raw_id else None
    if payment is None:
        return None
    if payment.status in (PaymentStatus.FAILED, PaymentStatus.VOIDED):
        return TopUpStatus(_declined(payment.failure_message), "error", waiting=False)
    if payment.status in IN_FLIGHT_PAYMENT_STATES:
        if payment.status == PaymentStatus.REVIEW:
            return TopUpStatus(
                _("Your payment is being reviewed; your wallet is credited once it is accepted."), "info", False
            )
        return TopUpStatus(_("Confirming your payment…"), "info", waiting=True)
    return TopUpStatus(
        _("%(amount)s %(currency)s added to your wallet.") % {"amount": payment.amount, "currency": payment.currency},
        "success",
        waiting=False,
    )
