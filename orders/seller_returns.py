"""The seller center's returns page (read-only): the returned units of the seller's own lines,
mounted under /seller/returns/. Staff decide each step; the seller sees where it stands."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views import View

from inventory.views import ActiveSellerMixin

from . import selectors

PAGE_SIZE = 25


class SellerReturnListView(ActiveSellerMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        lines = selectors.return_lines_of_seller(seller_id=self.seller.pk)
        page = Paginator(lines, PAGE_SIZE).get_page(request.GET.get("page"))
        context = {"seller": self.seller, "page_obj": page, "lines": page.object_list}
        return render(request, "orders/seller_return_list.html", context)


app_name = "seller_returns"
urlpatterns = [path("", SellerReturnListView.as_view(), name="list")]
