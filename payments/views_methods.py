"""Saved payment method pages, under /wallet/methods/. Thin: parse, call a service, redirect
with a message.

Saving a card takes the customer through the card gateway's own page, so the shop never sees a
card number: our billing form -> the gateway's card form -> back to `method_add` with
`token=`. The round trip is bound to the signed-in customer's session by a one-time `state` (as
OAuth binds its callback): a link carrying someone else's token, or this customer's token
replayed, cannot save a card to an account that did not start the round trip.
"""

import secrets
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from accounts.request import signed_in_user
from accounts.selectors import address_primary
from common.exceptions import DomainError
from common.http import client_meta, same_site_url

from . import selectors
from .exceptions import PaymentMethodNotFoundError
from .forms import PaymentMethodBillingForm
from .gateways.base import gateway_for
from .models import PaymentMethod
from .services.methods import payment_method_add, payment_method_make_default, payment_method_remove

# The session's note of a card being added: {"state", "billing", "make_default", "next"}.
PENDING_CARD_SESSION_KEY = "payments.card_add"


class PaymentMethodListView(LoginRequiredMixin, TemplateView):
    template_name = "payments/methods/list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["methods"] = list(selectors.payment_methods_of(user=signed_in_user(self.request)))
        return context


class PaymentMethodNewView(LoginRequiredMixin, FormView):
    """The billing address, then off to the card gateway's page for the card itself."""

    template_name = "payments/methods/new.html"
    form_class = PaymentMethodBillingForm

    def get_initial(self) -> dict[str, Any]:
        address = address_primary(user=signed_in_user(self.request))
        if address is None:
            return {}
        return {
            "billing_name": address.recipient_name,
            "billing_line1": address.street_address,
            "billing_line2": address.street_address_line2,
            "billing_city": address.city,
            "billing_region": address.state,
            "billing_postal_code": address.postal_code,
            "billing_country": address.country,
        }

    def form_valid(self, form: PaymentMethodBillingForm) -> HttpResponse:
        state = secrets.token_urlsafe(24)
        self.request.session[PENDING_CARD_SESSION_KEY] = {
            "state": state,
            "billing": form.billing(),
            "make_default": bool(form.cleaned_data["make_default"]),
            "next": same_site_url(self.request, self.request.GET.get("next")) or "",
        }
        return_url = f"{reverse('payments:method_add')}?{urlencode({'state': state})}"
        return redirect(gateway_for(settings.PAYMENT_CARD_GATEWAY).card_form_url(return_url=return_url))


class PaymentMethodAddView(LoginRequiredMixin, View):
    """Where the card gateway sends the customer back, with the card's token: save it."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest) -> HttpResponse:
        pending = request.session.get(PENDING_CARD_SESSION_KEY)
        state = request.GET.get("state", "")
        if not isinstance(pending, dict) or not state or not constant_time_compare(state, pending.get("state", "")):
            messages.error(
                request, _("This card form has expired or was not opened from this account. Add the card again.")
            )
            return redirect("payments:methods")
        del request.session[PENDING_CARD_SESSION_KEY]  # one use
        token = request.GET.get("token", "")
        if not token:
            messages.info(request, _("No card was saved."))
            return redirect("payments:methods")
        try:
            method = payment_method_add(
                user=signed_in_user(request),
                token=token,
                billing=pending.get("billing") or {},
                make_default=bool(pending.get("make_default")),
                **client_meta(request),
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return redirect("payments:methods")
        if method.is_default:
            message = _("%(card)s was saved as your default card.") % {"card": method}
        else:
            message = _("%(card)s was saved.") % {"card": method}
        messages.success(request, message)
        return redirect(pending.get("next") or "payments:methods")


class OwnedMethodMixin(LoginRequiredMixin):
    """Finds the method through the signed-in customer: another customer's id is a 404."""

    request: HttpRequest

    def get_method(self, pk: int) -> PaymentMethod:
        try:
            return selectors.payment_method_of(user=signed_in_user(self.request), method_id=pk)
        except PaymentMethodNotFoundError as exc:
            raise Http404(str(exc.message)) from exc


class PaymentMethodRemoveView(OwnedMethodMixin, View):
    """GET asks for confirmation (no script needed); POST removes."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render(request, "payments/methods/confirm_remove.html", {"method": self.get_method(pk)})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        method = self.get_method(pk)
        try:
            successor = payment_method_remove(user=signed_in_user(request), method_id=pk, **client_meta(request))
        except PaymentMethodNotFoundError as exc:
            raise Http404(str(exc.message)) from exc
        message = _("%(card)s was removed.") % {"card": method}
        if successor is not None:
            message += " " + _("Your default card is now %(card)s.") % {"card": successor}
        messages.success(request, message)
        return redirect("payments:methods")


class PaymentMethodMakeDefaultView(OwnedMethodMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            method = payment_method_make_default(user=signed_in_user(request), method_id=pk, **client_meta(request))
        except PaymentMethodNotFoundError as exc:
            raise Http404(str(exc.message)) from exc
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("%(card)s is now your default card.") % {"card": method})
        return redirect("payments:methods")
