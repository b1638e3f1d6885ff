"""The cart page and its forms. Thin: check the form, call a service, go back with a message.

Customers and guests alike (`carts.request`): a visitor's first "Add to cart" makes their guest.
With htmx, a change on the cart page answers with the cart's body and the header's badge (an
out-of-band swap), and "Add to cart" with its message and the badge; without JavaScript every
form is a plain POST and a redirect.

Checkout from the cart is an order service, so its view lives in orders (orders:checkout).
"""

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View

from common.exceptions import DomainError, NotFoundError
from common.forms import form_error_messages
from common.http import same_site_url
from common.money import ZERO

from . import selectors, services
from .csrf import token_or_same_origin
from .forms import CartAddForm, CartQuantityForm
from .request import CartOwner, cart_client, cart_owner, cart_owner_or_new

# Jinja2 (jinja_templates/): the page, and its body alone for htmx's answers.
CART_TEMPLATE = "carts/cart_detail.html"
CART_BODY_TEMPLATE = "carts/_cart_body.html"


def _cart_context(request: HttpRequest) -> dict[str, Any]:
    owner = cart_owner(request)
    cart = (
        selectors.cart_for_page(user=owner.user, guest=owner.guest)
        if owner is not None
        else selectors.CartView(cart=None, lines=[], total=ZERO)
    )
    return {
        "cart": cart,
        # The header counts the lines this page loaded, not with a query of its own: one figure
        # for the header and the total row (the page sets it over carts.context_processors.cart).
        "cart_item_count": cart.item_count,
        # A fresh one-time key per render: a double-submitted checkout makes one order.
        "checkout_key": uuid.uuid4().hex,
        "is_guest": not request.user.is_authenticated,
    }


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


class CartDetailView(View):
    """The cart at today's prices: a customer's with the delivery estimate to their primary
    address and the checkout form, a guest's with the way to sign in or create an account (checkout
    needs one; the cart comes along). A Jinja2 page."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, CART_TEMPLATE, _cart_context(request), using="jinja2")


def _cart_answer(request: HttpRequest, *, notice: str, error: bool = False) -> HttpResponse:
    """After a change on the cart page: htmx gets the cart's body and the badge; a plain POST a
    redirect to the page, the notice as a message."""
    if _htmx(request):
        context = _cart_context(request) | {"notice": notice, "notice_is_error": error}
        body = render(request, CART_BODY_TEMPLATE, context, using="jinja2").content
        badge = render(
            request, "carts/_cart_badge.html", {"units": context["cart_item_count"], "oob": True}, using="jinja2"
        ).content
        return HttpResponse(body + badge)
    (messages.error if error else messages.success)(request, notice)
    return HttpResponseRedirect(reverse("carts:detail"))


@method_decorator(token_or_same_origin, name="dispatch")
class CartAddView(View):
    """POST from the product page's "Add to cart" button; back to that page with a message (with
    htmx: the message in place and the header's badge)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        back = same_site_url(request, request.POST.get("next")) or reverse("carts:detail")
        form = CartAddForm(request.POST)
        if not form.is_valid():
            return self._answer(request, back, form_error_messages(form)[0], error=True)
        owner = cart_owner_or_new(request)
        try:
            item = services.cart_add_item(
                user=owner.user,
                guest=owner.guest,
                variant_id=form.cleaned_data["variant_id"],
                quantity=form.cleaned_data["quantity"],
                client=cart_client(request),
            )
        except DomainError as exc:
            return self._answer(request, back, str(exc.message), error=True)
        message = _("Added to your cart; it now holds %(quantity)d of this option.") % {"quantity": item.quantity}
        return self._answer(request, back, message, owner=owner)

    @staticmethod
    def _answer(
        request: HttpRequest, back: str, message: str, *, error: bool = False, owner: CartOwner | None = None
    ) -> HttpResponse:
        if _htmx(request):
            context: dict[str, Any] = {"message": message, "error": error}
            if owner is not None:
                context |= {"badge": True, "units": selectors.cart_item_count(user=owner.user, guest=owner.guest)}
            return render(request, "carts/_cart_add_result.html", context)
        (messages.error if error else messages.success)(request, message)
        return HttpResponseRedirect(back)


class CartItemUpdateView(View):
    """POST the new quantity of one line (0 takes it out). Another owner's line: 404."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        owner = cart_owner(request)
        if owner is None:
            raise Http404(_("That item is not in your cart."))
        form = CartQuantityForm(request.POST)
        if not form.is_valid():
            return _cart_answer(request, notice=form_error_messages(form)[0], error=True)
        try:
            item = services.cart_item_set_quantity(
                user=owner.user,
                guest=owner.guest,
                item_id=pk,
                quantity=form.cleaned_data["quantity"],
                client=cart_client(request),
            )
        except NotFoundError:
            raise Http404(_("That item is not in your cart.")) from None
        except DomainError as exc:
            return _cart_answer(request, notice=str(exc.message), error=True)
        return _cart_answer(request, notice=_("Cart updated.") if item is not None else _("Removed from your cart."))


class CartItemRemoveView(View):
    """POST to take one line out of the cart. Another owner's line: 404."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        owner = cart_owner(request)
        if owner is None:
            raise Http404(_("That item is not in your cart."))
        try:
            services.cart_item_remove(user=owner.user, guest=owner.guest, item_id=pk, client=cart_client(request))
        except NotFoundError:
            raise Http404(_("That item is not in your cart.")) from None
        return _cart_answer(request, notice=_("Removed from your cart."))
