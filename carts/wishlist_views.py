"""The wishlist pages and their forms. Thin: check the form, call a service, go back with a
message. Another customer's list or item is a 404; a shared link is read-only for everyone."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from accounts.request import signed_in_user
from common.exceptions import DomainError, NotFoundError
from common.forms import form_error_messages
from common.http import same_site_url

from . import wishlist_selectors as selectors
from . import wishlists as services
from .exceptions import WishlistInvalidError
from .request import cart_client
from .wishlist_forms import (
    CartToWishlistForm,
    WishlistAddForm,
    WishlistForm,
    WishlistItemForm,
    WishlistMoveToCartForm,
)


def _field_error(form: forms.Form, exc: WishlistInvalidError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))


def _detail_url(pk: int) -> str:
    return reverse("wishlists:detail", args=[pk])


class WishlistListView(LoginRequiredMixin, View):
    """GET: the customer's lists with their item counts and the form for a new one; POST makes it."""

    http_method_names = ["get", "post"]

    def _render(self, request: HttpRequest, form: WishlistForm, status: int = 200) -> HttpResponse:
        context = {"wishlists": list(selectors.wishlists_of(user=signed_in_user(request))), "form": form}
        return render(request, "carts/wishlists/wishlist_list.html", context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, WishlistForm(initial={"visibility": "private"}, auto_id="new-wishlist-%s"))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = WishlistForm(request.POST, auto_id="new-wishlist-%s")
        if form.is_valid():
            try:
                wishlist = services.wishlist_create(user=signed_in_user(request), **form.cleaned_data)
            except WishlistInvalidError as exc:
                _field_error(form, exc)
            else:
                messages.success(request, _("Wishlist “%(name)s” made.") % {"name": wishlist.name})
                return HttpResponseRedirect(_detail_url(wishlist.pk))
        return self._render(request, form, status=400)


class WishlistDetailView(LoginRequiredMixin, View):
    """GET: one of the customer's lists, its items at today's prices; POST edits the list."""

    http_method_names = ["get", "post"]

    def _render(
        self, request: HttpRequest, pk: int, form: WishlistForm | None = None, status: int = 200
    ) -> HttpResponse:
        view = selectors.wishlist_for_page(user=signed_in_user(request), wishlist_id=pk)
        if view is None:
            raise Http404(_("No such wishlist."))
        wishlist = view.wishlist
        if form is None:
            form = WishlistForm(
                initial={
                    "name": wishlist.name,
                    "description": wishlist.description,
                    "visibility": wishlist.visibility,
                    "is_default": wishlist.is_default,
                },
                auto_id="wishlist-%s",
            )
        share_url = None
        if wishlist.visibility in selectors.SHAREABLE:
            share_url = request.build_absolute_uri(reverse("wishlists:shared", args=[wishlist.share_token]))
        context: dict[str, Any] = {
            "wishlist": wishlist,
            "lines": view.lines,
            "form": form,
            "share_url": share_url,
            "priority_choices": WishlistItemForm.base_fields["priority"].choices,  # type: ignore[attr-defined]
        }
        return render(request, "carts/wishlists/wishlist_detail.html", context, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._render(request, pk)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = WishlistForm(request.POST, auto_id="wishlist-%s")
        if form.is_valid():
            data = dict(form.cleaned_data)
            # The box is offered only to make a list the default: unticked changes nothing.
            data["is_default"] = True if data["is_default"] else None
            try:
                services.wishlist_update(user=signed_in_user(request), wishlist_id=pk, **data)
            except NotFoundError:
                raise Http404(_("No such wishlist.")) from None
            except WishlistInvalidError as exc:
                _field_error(form, exc)
            else:
                messages.success(request, _("Wishlist saved."))
                return HttpResponseRedirect(_detail_url(pk))
        return self._render(request, pk, form=form, status=400)


class WishlistDeleteView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            services.wishlist_delete(user=signed_in_user(request), wishlist_id=pk)
        except NotFoundError:
            raise Http404(_("No such wishlist.")) from None
        messages.success(request, _("Wishlist deleted."))
        return HttpResponseRedirect(reverse("wishlists:list"))


class WishlistShareLinkView(LoginRequiredMixin, View):
    """POST: a new shared link; the old one stops working."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            services.wishlist_update(user=signed_in_user(request), wishlist_id=pk, regenerate_share_token=True)
        except NotFoundError:
            raise Http404(_("No such wishlist.")) from None
        messages.success(request, _("A new link made: the old one no longer works."))
        return HttpResponseRedirect(_detail_url(pk))


class WishlistItemUpdateView(LoginRequiredMixin, View):
    """POST an item's notes and priority."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
        form = WishlistItemForm(request.POST)
        if not form.is_valid():
            messages.error(request, form_error_messages(form)[0])
            return HttpResponseRedirect(_detail_url(pk))
        try:
            services.wishlist_item_update(
                user=signed_in_user(request), wishlist_id=pk, item_id=item_id, **form.cleaned_data
            )
        except NotFoundError:
            raise Http404(_("That item is not on your wishlist.")) from None
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Item saved."))
        return HttpResponseRedirect(_detail_url(pk))


class WishlistItemRemoveView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
        try:
            services.wishlist_item_remove(user=signed_in_user(request), wishlist_id=pk, item_id=item_id)
        except NotFoundError:
            raise Http404(_("That item is not on your wishlist.")) from None
        messages.success(request, _("Removed from the wishlist."))
        return HttpResponseRedirect(_detail_url(pk))


class WishlistItemMoveToCartView(LoginRequiredMixin, View):
    """POST a quantity: into the cart, off the list."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
        form = WishlistMoveToCartForm(request.POST)
        if not form.is_valid():
            messages.error(request, form_error_messages(form)[0])
            return HttpResponseRedirect(_detail_url(pk))
        try:
            item = services.wishlist_item_move_to_cart(
                user=signed_in_user(request),
                wishlist_id=pk,
                item_id=item_id,
                quantity=form.cleaned_data["quantity"],
                client=cart_client(request),
            )
        except NotFoundError:
            raise Http404(_("That item is not on your wishlist.")) from None
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return HttpResponseRedirect(_detail_url(pk))
        messages.success(
            request,
            _("Moved to your cart; it now holds %(quantity)d of this option.") % {"quantity": item.quantity},
        )
        return HttpResponseRedirect(_detail_url(pk))


class WishlistAddView(View):
    """POST from the product page's "Add to wishlist" form; back to that page with a message."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        back = same_site_url(request, request.POST.get("next")) or reverse("wishlists:list")
        if not request.user.is_authenticated:
            return redirect_to_login(back)
        form = WishlistAddForm(request.POST)
        if not form.is_valid():
            messages.error(request, form_error_messages(form)[0])
            return HttpResponseRedirect(back)
        user = signed_in_user(request)
        try:
            item = services.wishlist_item_add(
                user=user, wishlist_id=form.cleaned_data["wishlist_id"], variant_id=form.cleaned_data["variant_id"]
            )
        except NotFoundError:
            raise Http404(_("No such wishlist.")) from None
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return HttpResponseRedirect(back)
        messages.success(
            request,
            _("Saved to your wishlist “%(name)s”.") % {"name": item.wishlist.name},
        )
        return HttpResponseRedirect(back)


class CartItemMoveToWishlistView(LoginRequiredMixin, View):
    """POST from a cart line: out of the cart, onto a wishlist (the default unless one is named)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, item_id: int) -> HttpResponse:
        form = CartToWishlistForm(request.POST)
        if not form.is_valid():
            messages.error(request, form_error_messages(form)[0])
            return HttpResponseRedirect(reverse("carts:detail"))
        try:
            item = services.cart_item_move_to_wishlist(
                user=signed_in_user(request),
                item_id=item_id,
                wishlist_id=form.cleaned_data["wishlist_id"],
                client=cart_client(request),
            )
        except NotFoundError:
            raise Http404(_("That item is not in your cart.")) from None
        messages.success(request, _("Moved to your wishlist “%(name)s”.") % {"name": item.wishlist.name})
        return HttpResponseRedirect(reverse("carts:detail"))


class WishlistSharedView(View):
    """A shared or public list, read-only, for anyone with the link (private or deleted: 404)."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        view = selectors.wishlist_shared(token=token)
        if view is None:
            raise Http404(_("No such wishlist."))
        is_owner = request.user.is_authenticated and request.user.pk == view.wishlist.customer_id
        context = {"wishlist": view.wishlist, "lines": view.lines, "is_owner": is_owner}
        return render(request, "carts/wishlists/wishlist_shared.html", context)
