"""The seller center's order pages, mounted under /seller/ (beside the stock pages)."""

from django.urls import path

from . import seller_views

app_name = "orders_seller"

urlpatterns = [
    path("orders/", seller_views.SellerOrderLineListView.as_view(), name="order_lines"),
    path("orders/<int:order_id>/", seller_views.SellerOrderDetailView.as_view(), name="order"),
]
