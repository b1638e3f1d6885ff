"""Saved carts' pages and "Empty cart". Thin: check the form, call a service, go back with a message."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import TemplateView

from accounts.request import signed_in_user
from common.exceptions import DomainError, NotFoundError

from . import saved, saved_selectors
from .request import cart_owner
from .saved_forms import SavedCartForm


def restore_messages(result: saved.RestoreResult) -> list[tuple[int, str]]:
    """What a restore did, as (level, sentence) for the flash messages (pages) or `messages` (API)."""
    found: list[tuple[int, str]] = []
    name = result.name
    if result.added:
        text = ngettext(
            "Added %(n)d item from “%(name)s” to your cart.",
            "Added %(n)d items from “%(name)s” to your cart.",
            result.added,
        )
        found.append((messages.SUCCESS, text % {"n": result.added, "name": name}))
    for line in result.capped:
        if line.quantity:
            text = _(
                "Only %(n)d of %(title)s could be in your cart: that is as many as there are, or as one order takes."
            )
            found.append((messages.WARNING, text % {"n": line.quantity, "title": line.title}))
        else:
            found.append((messages.WARNING, _("%(title)s is sold out: it was left out.") % {"title": line.title}))
    for skipped in result.skipped:
        if skipped.reason == "cart_full":
            text = _("%(title)s was left out: your cart holds as many different items as it can.")
        else:
            text = _("%(title)s is no longer for sale: it was left out.")
        found.append((messages.WARNING, text % {"title": skipped.title}))
    if not found:
        found.append((messages.INFO, _("Nothing from “%(name)s” could be added to your cart.") % {"name": name}))
    return found


class SavedCartListView(LoginRequiredMixin, TemplateView):
    """The customer's saved carts, each at today's prices, with restore and delete."""

    template_name = "carts/saved/list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["saved_carts"] = list(saved_selectors.saved_carts_of(user=signed_in_user(self.request)))
        return context


class SavedCartCreateView(LoginRequiredMixin, View):
    """GET: the form on a page of its own (the cart page shows it too). POST: save the cart."""

    template_name = "carts/saved/create.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": SavedCartForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SavedCartForm(request.POST)
        if form.is_valid():
            try:
                saved_cart = saved.saved_cart_create(
                    user=signed_in_user(request),
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                )
            except DomainError as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(
                    request,
                    _("Your cart is saved as “%(name)s”. It stays in your cart too.") % {"name": saved_cart.name},
                )
                return HttpResponseRedirect(reverse("carts:saved_detail", args=[saved_cart.pk]))
        return render(request, self.template_name, {"form": form}, status=400)


class SavedCartDetailView(LoginRequiredMixin, TemplateView):
    """One saved cart's lines at today's prices; a price changed since it was saved is flagged."""

    template_name = "carts/saved/detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        view = saved_selectors.saved_cart_of(user=signed_in_user(self.request), saved_cart_id=self.kwargs["pk"])
        if view is None:
            raise Http404(_("No such saved cart."))
        context["saved_cart"] = view
        return context


class SavedCartRestoreView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            result = saved.saved_cart_restore(user=signed_in_user(request), saved_cart_id=pk)
        except NotFoundError:
            raise Http404(_("No such saved cart.")) from None
        for level, text in restore_messages(result):
            messages.add_message(request, level, text)
        return HttpResponseRedirect(reverse("carts:detail"))


class SavedCartDeleteView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            saved.saved_cart_delete(user=signed_in_user(request), saved_cart_id=pk)
        except NotFoundError:
            raise Http404(_("No such saved cart.")) from None
        messages.success(request, _("The saved cart was deleted."))
        return HttpResponseRedirect(reverse("carts:saved_list"))


class CartClearView(View):
    """POST "Empty cart" from the cart page: a customer's or a guest's cart."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        owner = cart_owner(request)
        removed = saved.cart_clear(user=owner.user, guest=owner.guest) if owner is not None else 0
        if removed:
            messages.success(request, _("Your cart is now empty."))
        else:
            messages.info(request, _("Your cart was already empty."))
        return HttpResponseRedirect(reverse("carts:detail"))
