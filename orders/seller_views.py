"""The seller center's order pages (under /seller/): the seller's own order lines, and shipping
them with a carrier and a tracking number.

Every read goes through the signed-in seller, so an order without their lines is a 404, and of an
order they share with another seller they see only their own lines and shipments.
"""

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from accounts.request import signed_in_user
from common.exceptions import DomainError, NotFoundError
from common.http import client_meta
from inventory.views import ActiveSellerMixin

from . import selectors, services
from .forms import ShipmentForm
from .models import Order

PAGE_SIZE = 25
# The seller's list: what the filter links are called, and what they show.
LINE_FILTERS = {"to_ship": True, "shipped": False, "all": None}


class SellerOrderLineListView(ActiveSellerMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        show = request.GET.get("show", "to_ship")
        if show not in LINE_FILTERS:
            show = "to_ship"
        lines = selectors.seller_order_lines(seller=self.seller, to_ship=LINE_FILTERS[show])
        page = Paginator(lines, PAGE_SIZE).get_page(request.GET.get("page"))
        context = {"seller": self.seller, "page_obj": page, "lines": page.object_list, "show": show}
        return render(request, "orders/seller/order_line_list.html", context)


def _unshipped(order: Order) -> list[Any]:
    return [line for line in order.seller_lines if not hasattr(line, "shipment_line")]  # type: ignore[attr-defined]


class SellerOrderDetailView(ActiveSellerMixin, View):
    """GET: the seller's lines of one order and their shipments; POST: ship lines."""

    def _order(self, order_id: int) -> Order:
        order = selectors.seller_order_get(seller=self.seller, order_id=order_id)
        if order is None:
            raise Http404(_("No such order."))
        return order

    def _render(self, request: HttpRequest, order: Order, form: ShipmentForm | None, status: int = 200) -> HttpResponse:
        unshipped = _unshipped(order)
        if form is None and unshipped:
            form = ShipmentForm(lines=unshipped, carriers=selectors.carriers_active())
        context = {
            "seller": self.seller,
            "order": order,
            "lines": order.seller_lines,  # type: ignore[attr-defined]
            "shipments": order.seller_shipments,  # type: ignore[attr-defined]
            "form": form,
            "can_ship": bool(unshipped) and order.status_id in services.fulfilment.SHIPPABLE_STATES,
        }
        return render(request, "orders/seller/order_detail.html", context, status=status)

    def get(self, request: HttpRequest, order_id: int) -> HttpResponse:
        return self._render(request, self._order(order_id), None)

    def post(self, request: HttpRequest, order_id: int) -> HttpResponse:
        order = self._order(order_id)
        form = ShipmentForm(request.POST, lines=_unshipped(order), carriers=selectors.carriers_active())
        if not form.is_valid():
            return self._render(request, order, form, status=400)
        data = form.cleaned_data
        estimated = None
        if data.get("estimated_delivery"):
            # A date: by the end of that day (UTC).
            estimated = dt.datetime.combine(data["estimated_delivery"], dt.time(23, 59), tzinfo=dt.UTC)
        try:
            shipment = services.shipment_create(
                seller=self.seller,
                order_id=order.pk,
                carrier_id=data["carrier"].pk,
                tracking_number=data["tracking_number"],
                item_ids=form.item_ids(),
                estimated_delivery_at=estimated,
                delivery_instructions=data.get("delivery_instructions", ""),
                actor=signed_in_user(request),
                **client_meta(request),
            )
        except NotFoundError:
            raise Http404(_("No such order.")) from None
        except DomainError as exc:
            form.add_error(None, str(exc.message))
            return self._render(request, order, form, status=409 if exc.http_status == 409 else 400)
        messages.success(
            request,
            _("Shipped with %(carrier)s, tracking number %(number)s. The customer has been told.")
            % {"carrier": shipment.carrier.name, "number": shipment.tracking_number},
        )
        return redirect("orders_seller:order", order_id=order.pk)
