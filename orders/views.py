"""Order pages and the home page. Thin: parse the form, call a service, render or redirect."""

import logging
import uuid
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView
from django_htmx.http import HttpResponseClientRedirect

from accounts.forms import AddressCreateForm
from accounts.models import Address, User
from accounts.request import signed_in_user
from accounts.selectors import address_list
from accounts.services import address_create
from carts.selectors import cart_for_page
from catalog.cache import CATALOG
from catalog.selectors import categories_active, products_for_listing
from common.exceptions import DomainError, IdempotencyKeyReuseError, NotFoundError
from common.forms import form_error_messages
from common.http import client_meta, same_site_url
from common.public_cache import cache_public_response
from inventory.views import ActiveSellerMixin
from payments.exceptions import PaymentMethodNotFoundError
from payments.models import Payment, PaymentStatus

from . import selectors, services
from .cache import popular_scope
from .forms import (
    CartCheckoutForm,
    CheckoutChoiceForm,
    IssueRateForm,
    IssueReportForm,
    OrderCancelForm,
    OrderPayForm,
    OrderPlaceForm,
    OrderReturnForm,
    SellerIssueAnswerForm,
)
from .models import (
    CANCELLABLE_BY_CUSTOMER,
    LIVE_CANCELLATION_STATES,
    CancellationReason,
    CancellationStatus,
    Order,
    OrderState,
)
from .services.cancellations import CANCELLABLE_AFTER_SHIPMENT

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

    def card_order_placed(self, request: HttpRequest, order: Order, form: Any) -> HttpResponse:
        """A new card order waits for its payment: charged now with the saved card chosen, else
        to its page, where the customer pays."""
        if form.payment_method_id is not None:
            return _pay(
                request,
                order,
                payment_method_id=form.payment_method_id,
                idempotency_key=f"checkout-{form.cleaned_data['idempotency_key']}",
            )
        messages.info(
            request,
            _("Order %(number)s is placed and waits for your payment: we hold its items for %(minutes)d minutes.")
            % {"number": order.order_number, "minutes": settings.STOCK_RESERVATION_MINUTES},
        )
        return redirect("orders:detail", pk=order.pk)

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
        if placed.created and order.status_id == OrderState.PENDING:
            return self.card_order_placed(request, order, form)
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
            shipping_address_id=data.get("shipping_address_id"),
            payment_method=form.payment_method,
            **client_meta(request),
        )


class CartCheckoutView(CheckoutView):
    """The checkout page (GET) and its order (POST): everything in the cart, delivered to the
    address chosen (the primary one preselected), with shipping and tax shown before placing.
    The cart page's own form posts here too. On a refusal, back to the page the form was on."""

    http_method_names = ["get", "post"]
    form_class = CartCheckoutForm
    back_fallback = "carts:detail"
    template_name = "orders/checkout.html"

    def place(self, request: HttpRequest, form: Any) -> services.PlacedOrder:
        data = form.cleaned_data
        return services.order_place_from_cart(
            user=signed_in_user(request),
            coupon_ref=data.get("coupon_id"),
            idempotency_key=data["idempotency_key"],
            special_instructions=data.get("special_instructions", ""),
            shipping_address_id=data.get("shipping_address_id"),
            payment_method=form.payment_method,
            **client_meta(request),
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        return checkout_page(request)


def checkout_page(request: HttpRequest, address_form: AddressCreateForm | None = None) -> HttpResponse:
    """The checkout page for the signed-in customer's cart, priced by the one quote service."""
    user = signed_in_user(request)
    cart = cart_for_page(user=user)
    if not cart.lines:
        messages.info(request, _("Your cart is empty."))
        return redirect("carts:detail")
    choice = CheckoutChoiceForm(request.GET)
    chosen = choice.cleaned_data if choice.is_valid() else {}
    addresses: list[Address] = list(address_list(user=user))
    address = next((a for a in addresses if a.pk == chosen.get("address")), None)
    address = address or next((a for a in addresses if a.is_primary), None)
    priced_to = address if address is not None and address.country else None
    quote, coupon_problem = services.cart_quote(
        customer=user,
        lines=[(line.item.variant, line.item.quantity) for line in cart.lines],
        address=priced_to,
        coupon_ref=chosen.get("coupon"),
    )
    context = {
        "cart": cart,
        "cart_item_count": cart.item_count,
        "addresses": addresses,
        "address": address,
        "quote": quote,
        "coupon_problem": coupon_problem,
        "chosen_coupon": chosen.get("coupon"),
        "address_form": address_form or AddressCreateForm(prefix="new"),
        "checkout_key": uuid.uuid4().hex,
        "reservation_minutes": settings.STOCK_RESERVATION_MINUTES,
        "cards": [choice for choice in selectors.cards_to_pay_with(user=user) if choice.usable],
    }
    status = 400 if address_form is not None else 200
    return TemplateResponse(request, "orders/checkout.html", context, status=status)


class CheckoutAddressView(LoginRequiredMixin, View):
    """POST from the checkout page's "add an address" form: add it, then price checkout with it."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        form = AddressCreateForm(request.POST, prefix="new")
        if form.is_valid():
            try:
                address = address_create(
                    user=signed_in_user(request), data=form.address_data(), is_primary=form.cleaned_data["is_primary"]
                )
            except DomainError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("The address was added; the order will be delivered there."))
                return HttpResponseRedirect(f"{reverse('orders:checkout')}?address={address.pk}")
        return checkout_page(request, address_form=form)


class OrderListView(LoginRequiredMixin, View):
    """The signed-in customer's orders, newest first, a page at a time. A Jinja2 page."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = signed_in_user(request)
        number = request.GET.get("page")
        orders = selectors.HistoryOrders(user=user, per_page=ORDERS_PER_PAGE, page=number or 1)
        paginator: Paginator[Order] = Paginator(orders, ORDERS_PER_PAGE)
        page = paginator.get_page(number)
        context = {"page_obj": page, "orders": page.object_list}
        return render(request, "orders/order_list.html", context, using="jinja2")


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
        context.update(_cancellation_context(order))
        context["timeline"] = selectors.order_timeline(order=order)
        context.update(order_returns_context(order=order, user=signed_in_user(self.request)))  # returns (RMA)
        if order.status_id == OrderState.PENDING:  # a card order waiting for its payment
            context.update(order_pay_context(request=self.request, order=order))
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


def _cancellation_context(order: Order) -> dict[str, Any]:
    """What the order's pages say about cancelling it: now, by request, or not at all."""
    shipped = selectors.order_has_shipment(order)
    live = [c for c in order.cancellations.all() if c.status in LIVE_CANCELLATION_STATES]
    can_request = shipped and order.status_id in CANCELLABLE_AFTER_SHIPMENT and not live
    return {
        "can_cancel": (not shipped and order.status_id in CANCELLABLE_BY_CUSTOMER) or can_request,
        "cancel_is_request": shipped,
        "pending_cancellation": next((c for c in live if c.status == CancellationStatus.REQUESTED), None),
        "can_report_issue": order.paid_at is not None,
    }


class OrderCancelView(OwnOrderMixin, TemplateView):
    """GET asks to confirm; POST cancels now (stock back, wallet refunded, coupon usable again) or,
    once something has shipped, asks staff to."""

    template_name = "orders/order_cancel.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["order"] = order = self.get_order()
        context.setdefault("form", OrderCancelForm())
        context.update(_cancellation_context(order))
        return context

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = OrderCancelForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        try:
            outcome = services.cancellation_request(
                order_id=pk,
                user=signed_in_user(request),
                reason=form.cleaned_data["reason_code"] or CancellationReason.OTHER,
                notes=form.cleaned_data["reason"],
                **client_meta(request),
            )
        except NotFoundError:
            raise Http404(_("No such order.")) from None
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return redirect("orders:detail", pk=pk)
        order = outcome.order
        if outcome.immediate:
            messages.success(
                request,
                _("Order %(number)s is cancelled; %(total)s %(currency)s went back to your wallet.")
                % {
                    "number": order.order_number,
                    "total": outcome.cancellation.refund_amount,
                    "currency": order.currency,
                },
            )
        else:
            messages.success(
                request,
                _("Your request to cancel order %(number)s is sent. We will e-mail you our answer.")
                % {"number": order.order_number},
            )
        return redirect("orders:detail", pk=pk)


# --- order issues (branch `cancel`) -------------------------------------------------------------


class IssueReportView(OwnOrderMixin, TemplateView):
    """Report a problem with one of the customer's orders."""

    template_name = "orders/issue_report.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["order"] = order = self.get_order()
        context.setdefault("form", IssueReportForm(order_items=order.items.all()))
        return context

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        order = self.get_order()
        form = IssueReportForm(request.POST, order_items=order.items.all())
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        data = form.cleaned_data
        try:
            issue = services.issue_report(
                order_id=order.pk,
                user=signed_in_user(request),
                issue_type=data["issue_type"],
                description=data["description"],
                urgency=data["urgency"],
                item_ids=data["items"],
                **client_meta(request),
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
            return self.render_to_response(self.get_context_data(form=form), status=409)
        messages.success(request, _("Thank you: we received your report and will look into it."))
        return redirect("orders:issue", pk=issue.pk)


class IssueDetailView(LoginRequiredMixin, TemplateView):
    """One of the customer's issues: its status, the answers, and the rating once resolved."""

    template_name = "orders/issue_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        issue = selectors.order_issue_of(user=signed_in_user(self.request), issue_id=self.kwargs["pk"])
        if issue is None:
            raise Http404(_("No such issue."))
        context["issue"] = issue
        context["order"] = issue.order
        initial = {"customer_satisfaction": issue.customer_satisfaction} if issue.customer_satisfaction else {}
        context.setdefault("rate_form", IssueRateForm(initial=initial))
        return context


class IssueRateView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = signed_in_user(request)
        if selectors.order_issue_of(user=user, issue_id=pk) is None:
            raise Http404(_("No such issue."))
        form = IssueRateForm(request.POST)
        if not form.is_valid():
            for message in form_error_messages(form):
                messages.error(request, message)
            return redirect("orders:issue", pk=pk)
        try:
            services.issue_rate(issue_id=pk, user=user, satisfaction=form.cleaned_data["customer_satisfaction"])
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Thank you for rating our answer."))
        return redirect("orders:issue", pk=pk)


class SellerIssueListView(ActiveSellerMixin, View):
    """The issues about the seller's own lines (never another seller's)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        page = Paginator(selectors.seller_issues(seller=self.seller), ORDERS_PER_PAGE).get_page(request.GET.get("page"))
        context = {"seller": self.seller, "page_obj": page, "issues": page.object_list}
        return render(request, "orders/seller_issue_list.html", context)


class SellerIssueDetailView(ActiveSellerMixin, View):
    """One issue about the seller's lines, and the seller's answer to the customer."""

    def _render(self, request: HttpRequest, issue: Any, form: SellerIssueAnswerForm, status: int = 200) -> HttpResponse:
        context = {"seller": self.seller, "issue": issue, "form": form}
        return render(request, "orders/seller_issue_detail.html", context, status=status)

    def _issue(self, pk: int) -> Any:
        issue = selectors.seller_issue_get(seller=self.seller, issue_id=pk)
        if issue is None:
            raise Http404(_("No such issue."))
        return issue

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        issue = self._issue(pk)
        return self._render(request, issue, SellerIssueAnswerForm(initial={"response": issue.seller_response}))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        issue = self._issue(pk)
        form = SellerIssueAnswerForm(request.POST)
        if not form.is_valid():
            return self._render(request, issue, form, status=400)
        try:
            services.issue_seller_answer(
                issue_id=pk, seller=self.seller, response=form.cleaned_data["response"], **client_meta(request)
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
            return self._render(request, issue, form, status=409)
        messages.success(request, _("Your answer is sent to the customer."))
        return redirect("orders_seller:issue", pk=pk)


# --- Returns (RMA) ---------------------------------------------------------------------------


def order_returns_context(*, order: Order, user: User) -> dict[str, Any]:
    """What `orders/_order_returns.html` on the order page needs (three queries)."""
    lines = selectors.order_returnable_lines(order=order)
    return {
        "order_returns": list(selectors.returns_of(user=user, order_id=order.pk)),
        "can_return": any(line.returnable for line in lines),
        "return_window_closes_at": max(
            (line.window_closes_at for line in lines if line.window_closes_at), default=None
        ),
    }


class OrderReturnCreateView(OwnOrderMixin, TemplateView):
    """GET: choose lines and quantities, a reason and where the refund goes; POST: ask for the return."""

    template_name = "orders/return_create.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["order"] = order = kwargs.get("order") or self.get_order()
        context.setdefault("form", OrderReturnForm(lines=selectors.order_returnable_lines(order=order)))
        return context

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        order = self.get_order()
        form = OrderReturnForm(request.POST, lines=selectors.order_returnable_lines(order=order))
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(order=order, form=form), status=400)
        try:
            rma = services.return_request(
                order_id=order.pk,
                user=signed_in_user(request),
                lines=form.lines,
                reason=form.cleaned_data["reason"],
                reason_text=form.cleaned_data["reason_text"],
                destination=form.cleaned_data["destination"],
                **client_meta(request),
            )
        except NotFoundError:
            raise Http404(_("No such order.")) from None
        except DomainError as exc:  # a parallel request took the units, or the window closed meanwhile
            form.add_error(None, str(exc.message))
            return self.render_to_response(self.get_context_data(order=order, form=form), status=exc.http_status)
        messages.success(
            request,
            _("Return %(rma)s is requested. We will e-mail you when it is approved.") % {"rma": rma},
        )
        return redirect("orders:return_detail", pk=rma.pk)


class ReturnDetailView(LoginRequiredMixin, TemplateView):
    """One of the customer's returns and where it stands; another customer's return is a 404."""

    template_name = "orders/return_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        rma = selectors.return_of(user=signed_in_user(self.request), return_id=self.kwargs["pk"])
        if rma is None:
            raise Http404(_("No such return."))
        context["order_return"] = rma
        context["order"] = rma.order
        return context


# --- card payments (issue 14) -------------------------------------------------------------------


def order_pay_context(*, request: HttpRequest, order: Order) -> dict[str, Any]:
    """What a pending order's "Pay for this order" section needs (two queries)."""
    cards = selectors.cards_to_pay_with(user=signed_in_user(request))
    detail = reverse("orders:detail", args=[order.pk])
    return {
        "payment_due": selectors.order_payment_due(order=order),
        "cards": cards,
        "preselected_card": next((c.method.pk for c in cards if c.usable), None),
        # Saving a card (the payment methods pages, through the gateway's card form) comes back here.
        "add_card_url": f"{reverse('payments:method_new')}?{urlencode({'next': detail})}",
        "pay_key": uuid.uuid4().hex,
    }


class OrderPayView(OwnOrderMixin, View):
    """POST from a pending order's "Pay" form: charge the saved card chosen, then show how it went
    (the bank's confirmation step, the waiting page, or the order with the outcome)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        order = self.get_order()
        form = OrderPayForm(request.POST)
        if not form.is_valid():
            for message in form_error_messages(form):
                messages.error(request, message)
            return redirect("orders:detail", pk=order.pk)
        return _pay(
            request,
            order,
            payment_method_id=form.cleaned_data["payment_method_id"],
            idempotency_key=form.cleaned_data["idempotency_key"],
        )


def _pay(request: HttpRequest, order: Order, *, payment_method_id: int, idempotency_key: str) -> HttpResponse:
    """Charge a saved card for a pending order (`services.order_pay`) and send the customer where
    the outcome is shown: the bank's confirmation step, the waiting page, or the order's page."""
    detail = reverse("orders:detail", args=[order.pk])
    try:
        paid = services.order_pay(
            user=signed_in_user(request),
            order_id=order.pk,
            payment_method_id=payment_method_id,
            return_url=reverse("orders:payment_return", args=[order.pk]),
            idempotency_key=idempotency_key,
            **client_meta(request),
        )
    except PaymentMethodNotFoundError as exc:  # not one of their cards (before: a 404 is the order's)
        messages.error(request, str(exc.message))
        return redirect(detail)
    except NotFoundError:
        raise Http404(_("No such order.")) from None
    except IdempotencyKeyReuseError:
        messages.error(request, _("This form was already sent with other choices. Reload the page and try again."))
        return redirect(detail)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect(detail)
    except Exception:
        logger.exception("Paying order %s failed", order.pk)
        messages.error(
            request, _("Something went wrong on our side. The order's page shows where your payment stands.")
        )
        return redirect(detail)
    payment = paid.payment
    if payment.status == PaymentStatus.ACTION_REQUIRED and payment.action_url:
        return HttpResponseRedirect(payment.action_url)  # the bank's confirmation step (3-D Secure)
    order.refresh_from_db(fields=["status", "paid_at"])
    if _payment_outcome(request, order, payment) is None:  # still being confirmed
        return redirect("orders:payment_return", pk=order.pk)
    return redirect(detail)


class OrderPaymentReturnView(OwnOrderMixin, TemplateView):
    """Where the card's confirmation step (and a payment still being confirmed) sends the customer:
    "Confirming your payment…" until the order is paid or the payment failed, then the order's
    page with the outcome. It refreshes itself every 2 s: htmx polls it (an htmx request gets a
    client redirect when it is over), and a meta refresh does the same without JavaScript.
    """

    template_name = "orders/payment_return.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        order = self.get_order()
        latest = selectors.order_payment_due(order=order).latest
        outcome = _payment_outcome(request, order, latest)
        if outcome is None:
            return self.render_to_response({"order": order, "payment": latest})
        detail = reverse("orders:detail", args=[order.pk])
        return HttpResponseClientRedirect(detail) if request.htmx else redirect(detail)  # type: ignore[attr-defined]


def _payment_outcome(request: HttpRequest, order: Order, latest: Payment | None) -> str | None:
    """What the return page says once there is something to say (as a message for the order's
    page): None while the payment is still being confirmed."""
    if order.status_id == OrderState.CANCELLED and order.paid_at is None:
        if latest is not None and latest.refunded_amount:
            words = _("Your payment came after that: it is refunded in full.")
        else:
            words = _("Nothing was charged.")
        messages.error(
            request,
            _("The time to pay for order %(number)s ran out, so it is cancelled. %(words)s")
            % {"number": order.order_number, "words": words},
        )
        return "cancelled"
    if order.status_id != OrderState.PENDING:
        messages.success(request, _("Thank you! Order %(number)s is paid.") % {"number": order.order_number})
        return "paid"
    if latest is None:
        return "none"
    if latest.status in (PaymentStatus.FAILED, PaymentStatus.VOIDED):
        messages.error(request, _payment_failed_message(latest))
        return "failed"
    if latest.status == PaymentStatus.REVIEW:
        messages.info(request, _("Your payment is being reviewed. We will e-mail you as soon as it is decided."))
        return "review"
    return None


def _payment_failed_message(payment: Payment) -> str:
    reason = payment.failure_message or _("The payment did not go through.")
    return _("%(reason)s Nothing was charged: you can pay with another card.") % {"reason": reason}
