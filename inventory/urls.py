"""The seller's stock pages, mounted under /seller/."""

from django.urls import path

from . import views

app_name = "inventory"

urlpatterns = [
    path("products/", views.SellerProductListView.as_view(), name="seller_products"),
    path("products/<int:pk>/", views.SellerProductDetailView.as_view(), name="seller_product"),
    path("variants/<int:variant_id>/restock/", views.SellerRestockView.as_view(), name="seller_restock"),
]
