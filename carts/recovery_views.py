"""The restore link of a recovery e-mail (`/cart/recover/<token>/`). Thin: the service checks the
token and restores the cart; the page goes on to the cart with a message.

Signed-in only (a visitor signs in and comes back to the link). A forged, expired or another
customer's link is a 404 page that says so, never an error.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from accounts.request import signed_in_user

from .abandonment import RecoveryLinkInvalidError, abandoned_cart_recovery


class CartRecoverView(LoginRequiredMixin, View):
    """GET from the e-mail's link: restore the cart once, then show it."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            recovery = abandoned_cart_recovery(user=signed_in_user(request), token=token)
        except RecoveryLinkInvalidError as exc:
            return render(request, "carts/recovery_invalid.html", {"message": exc.message}, status=404)
        if not recovery.recovered:
            messages.info(request, _("Welcome back. This is your cart as it is now."))
        else:
            messages.success(request, _("Welcome back: your cart is ready for you."))
            for title, kept in recovery.capped:
                messages.warning(
                    request,
                    ngettext(
                        "Only %(count)d of %(title)s is available now; your cart holds %(count)d.",
                        "Only %(count)d of %(title)s are available now; your cart holds %(count)d.",
                        kept,
                    )
                    % {"count": kept, "title": title},
                )
            for title in recovery.unavailable:
                messages.warning(request, _("%(title)s is not available any more.") % {"title": title})
        return HttpResponseRedirect(reverse("carts:detail"))
