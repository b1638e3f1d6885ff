"""Order pages and the home page. Thin: parse the form, call a service, render or redirect."""

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from accounts.request import signed_in_user
from catalog.cache import CATALOG
from catalog.selectors import categories_active, products_for_listing
from common.exceptions import DomainError, IdempotencyKeyReuseError, NotFoundError
from common.forms import form_error_messages
from common.http import client_meta, same_site_url
from common.public_cache import cache_public_response

from . import selectors, services
from .cache import popular_scope
from .forms import CartCheckoutForm, OrderCancelForm, OrderPlaceForm
from .models import CANCELLABLE_BY_CUSTOMER, Order

logger = logging.getLogger(__name__)

ORDERS_PER_PAGE = 10
NEWEST_PRODUCTS = 8


def _home_scopes(request: HttpRequest, **kwargs: Any) -> list[str]:
    return [CATALOG, popular_scope()]


# Kept for visitors like the catalogue pages, and no longer than popular products are.
@method_decorator(cache_public_response(_home_scopes, timeout=settings.POPULAR_PRODUCTS_CACHE_SECONDS), name="dispatch")
class HomeView(TemplateView):
    """Popular products (last 3 days), the top-level categories and the newest products."""

    template_name = "home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["popular"] = selectors.popular_products(days=3, limit=5)
        context["categories"] = categories_active().filter(parent__isnull=True)
        context["newest"] = products_for_listing().order_by("-created_at", "-id")[:NEWEST_PRODUCTS]
        return context


def _back(request: HttpRequest, fallback: str = "home") -> HttpResponseRedirect:
    """The page the form was on (its `next` field, else the referrer), if it is ours."""
    back = same_site_url(request, request.POST.get("next"), request.headers.get("referer"))
    return HttpResponseRedirect(back or reverse(fallback))


class CheckoutView(LoginRequiredMixin, View):
    """A checkout form's POST: order, pay from the wallet, show the order.

    On any refusal nothing is written and the shopper goes back to the page they came from with
    the reason. The hidden one-time key makes a double-submitted form one order. Subclasses say
    which form and which service.
    """

    http_method_names = ["post"]
    form_class: type[OrderPlaceForm] | type[CartCheckoutForm]
    back_fallback = "home"

    def place(self, request: HttpRequest, form: Any) -> services.PlacedOrder:
        raise NotImplementedError

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self.form_class(request.POST)
        if not form.is_valid():
            for message in form_error_messages(form):
                messages.error(request, message)
            return _back(request, self.back_fallback)
        try:
            placed = self.place(request, form)
        except IdempotencyKeyReuseError:
            messages.error(request, _("This form was already sent with other choices. Reload the page and try again."))
            return _back(request, self.back_fallback)
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return _back(request, self.back_fallback)
        except Exception:
            logger.exception("Checkout failed for user %s", request.user.pk)
            messages.error(request, _("Something went wrong on our side; nothing was charged. Please try again."))
            return _back(request, self.back_fallback)
        order = placed.order
        if placed.created:
            messages.success(
                request,
                _("Thank you! Order %(number)s is paid and confirmed.") % {"number": order.order_number},
            )
        else:
            messages.info(request, _("This order was already placed; here it is."))
        return redirect("orders:detail", pk=order.pk)


class OrderPlaceView(CheckoutView):
    """POST from the product page's "Buy now" form."""

    form_class = OrderPlaceForm

    def place(self, request: HttpRequest, form: Any) -> services.PlacedOrder:
        data = form.cleaned_data
        return services.order_place(
            user=signed_in_user(request),
            lines=form.lines,
            coupon_ref=data.get("coupon_id"),
            idempotency_key=data["idempotency_key"],
            special_instructions=data.get("special_instructions", ""),
            **client_meta(request),
        )


class CartCheckoutView(CheckoutView):
    """POST from the cart page: order everything in the cart; on a refusal, back to the cart."""

    form_class = CartCheckoutForm
    back_fallback = "carts:detail"

    def place(self, request: HttpRequest, form: Any) -> services.PlacedOrder:
        data = form.cleaned_data
        return services.order_place_from_cart(
            user=signed_in_user(request),
            coupon_ref=data.get("coupon_id"),
            idempotency_key=data["idempotency_key"],
            special_instructions=data.get("special_instructions", ""),
            **client_meta(request),
        )


class OrderListView(LoginRequiredMixin, TemplateView):
    template_name = "orders/order_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        paginator = Paginator(selectors.orders_for_history_page(user=signed_in_user(self.request)), ORDERS_PER_PAGE)
        context["page_obj"] = paginator.get_page(self.request.GET.get("page"))
        context["orders"] = context["page_obj"].object_list
        return context


class OwnOrderMixin(LoginRequiredMixin):
    """The signed-in customer's order from the URL; another customer's order is a 404."""

    request: HttpRequest
    kwargs: dict[str, Any]

    def get_order(self) -> Order:
        order = selectors.order_of(user=signed_in_user(self.request), order_id=self.kwargs["pk"])
        if order is None:
            raise Http404(_("No such order."))
        return order


class OrderDetailView(OwnOrderMixin, TemplateView):
    template_name = "orders/order_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        order = self.get_order()
        context["order"] = order
        context["can_cancel"] = order.status_id in CANCELLABLE_BY_CUSTOMER
        context["timeline"] = selectors.order_timeline(order=order)
        return context


class OrderInvoiceView(OwnOrderMixin, TemplateView):
    """A printable invoice of one of the customer's orders (the browser prints it; see the print
    stylesheet). Another customer's order is a 404."""

    template_name = "orders/order_invoice.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["order"] = self.get_order()
        context["shop_name"] = getattr(settings, "SHOP_NAME", "") or _("Our shop")
        return context


class OrderCancelView(OwnOrderMixin, TemplateView):
    """GET asks to confirm; POST cancels (stock back, wallet refunded, coupon usable again)."""

    template_name = "orders/order_cancel.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["order"] = order = self.get_order()
        context.setdefault("form", OrderCancelForm())
        context["can_cancel"] = order.status_id in CANCELLABLE_BY_CUSTOMER
        return context

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = OrderCancelForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        try:
            order = services.order_cancel(
                order_id=pk, user=signed_in_user(request), reason=form.cleaned_data["reason"], **client_meta(request)
            )
        except NotFoundError:
            raise Http404(_("No such order.")) from None
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return redirect("orders:detail", pk=pk)
        messages.success(
            request,
            _("Order %(number)s is cancelled; %(total)s %(currency)s went back to your wallet.")
            % {"number": order.order_number, "total": order.total_amount, "currency": order.currency},
        )
        return redirect("orders:detail", pk=pk)
