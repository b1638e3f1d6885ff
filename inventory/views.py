"""The seller's stock pages: their own products only, and restocking their own variants.

Every read goes through the signed-in seller, so another seller's product or variant is a 404.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from accounts.models import Seller
from accounts.request import signed_in_user
from common.exceptions import DomainError

from . import selectors, services
from .forms import RestockForm
from .models import ChangeSource

PAGE_SIZE = 25


class ActiveSellerMixin(LoginRequiredMixin):
    """Signed in, with an active seller profile; anyone else gets a 403."""

    seller: Seller

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated:
            seller = Seller.objects.filter(user=request.user).first()
            if seller is None or not seller.is_active_seller:
                raise PermissionDenied(_("This page is for active sellers."))
            self.seller = seller
        return super().dispatch(request, *args, **kwargs)


class SellerProductListView(ActiveSellerMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        page = Paginator(selectors.seller_products(seller=self.seller), PAGE_SIZE).get_page(request.GET.get("page"))
        context = {"seller": self.seller, "page_obj": page, "products": page.object_list}
        return render(request, "inventory/seller_product_list.html", context)


class SellerProductDetailView(ActiveSellerMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        product = selectors.seller_product_get(seller=self.seller, product_id=pk)
        if product is None:
            raise Http404
        context = {"seller": self.seller, "product": product, "restock_form": RestockForm()}
        return render(request, "inventory/seller_product_detail.html", context)


class SellerRestockView(ActiveSellerMixin, View):
    """Receive goods for one of the seller's variants into the default warehouse."""

    def post(self, request: HttpRequest, variant_id: int) -> HttpResponse:
        variant = selectors.seller_variant_get(seller=self.seller, variant_id=variant_id)
        if variant is None:
            raise Http404
        form = RestockForm(request.POST)
        if not form.is_valid():
            product = selectors.seller_product_get(seller=self.seller, product_id=variant.product_id)
            context = {
                "seller": self.seller,
                "product": product,
                "restock_form": RestockForm(),
                "failed_form": form,
                "failed_variant_id": variant.pk,
            }
            return render(request, "inventory/seller_product_detail.html", context, status=400)
        try:
            services.stock_restock(
                variant_id=variant.pk,
                quantity=form.cleaned_data["quantity"],
                actor=signed_in_user(request),
                reason=form.cleaned_data["reason"] or _("Restocked by the seller"),
                source=ChangeSource.USER,
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request,
                _("Added %(quantity)d units of %(sku)s.")
                % {"quantity": form.cleaned_data["quantity"], "sku": variant.sku},
            )
        return redirect("inventory:seller_product", pk=variant.product_id)
