"""The cart page and its forms. Thin: check the form, call a service, go back with a message.

Checkout from the cart is an order service, so its view lives in orders (orders:checkout).
"""

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from accounts.request import signed_in_user
from common.exceptions import DomainError, NotFoundError
from common.forms import form_error_messages
from common.http import same_site_url

from . import selectors, services
from .forms import CartAddForm, CartQuantityForm


class CartDetailView(LoginRequiredMixin, TemplateView):
    """The customer's cart at today's prices, with the checkout form."""

    template_name = "carts/cart_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["cart"] = cart = selectors.cart_for_page(user=signed_in_user(self.request))
        # The header counts the lines this page loaded, not with a query of its own: one figure
        # for the header and the total row (it overrides carts.context_processors.cart).
        context["cart_item_count"] = cart.item_count
        # A fresh one-time key per render: a double-submitted checkout makes one order.
        context["checkout_key"] = uuid.uuid4().hex
        return context


class CartAddView(View):
    """POST from the product page's "Add to cart" button; back to that page with a message."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        back = same_site_url(request, request.POST.get("next")) or reverse("carts:detail")
        if not request.user.is_authenticated:
            # Back to the product page after signing in: adding is a POST.
            return redirect_to_login(back)
        form = CartAddForm(request.POST)
        if not form.is_valid():
            messages.error(request, form_error_messages(form)[0])
            return HttpResponseRedirect(back)
        try:
            item = services.cart_add_item(
                user=signed_in_user(request),
                variant_id=form.cleaned_data["variant_id"],
                quantity=form.cleaned_data["quantity"],
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return HttpResponseRedirect(back)
        messages.success(
            request,
            _("Added to your cart; it now holds %(quantity)d of this option.") % {"quantity": item.quantity},
        )
        return HttpResponseRedirect(back)


class CartItemUpdateView(LoginRequiredMixin, View):
    """POST the new quantity of one line (0 takes it out)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = CartQuantityForm(request.POST)
        if not form.is_valid():
            messages.error(request, form_error_messages(form)[0])
            return HttpResponseRedirect(reverse("carts:detail"))
        try:
            item = services.cart_item_set_quantity(
                user=signed_in_user(request), item_id=pk, quantity=form.cleaned_data["quantity"]
            )
        except NotFoundError:
            raise Http404(_("That item is not in your cart.")) from None
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Cart updated.") if item is not None else _("Removed from your cart."))
        return HttpResponseRedirect(reverse("carts:detail"))


class CartItemRemoveView(LoginRequiredMixin, View):
    """POST to take one line out of the cart."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            services.cart_item_remove(user=signed_in_user(request), item_id=pk)
        except NotFoundError:
            raise Http404(_("That item is not in your cart.")) from None
        messages.success(request, _("Removed from your cart."))
        return HttpResponseRedirect(reverse("carts:detail"))
