"""Mounted under /api/v1/. Product ids are digits only, so `products/popular/` (orders) is free."""

from django.urls import path

from . import views

app_name = "catalog_api"

urlpatterns = [
    path("products/", views.ProductListApi.as_view(), name="product-list"),
    path("products/<int:pk>/", views.ProductDetailApi.as_view(), name="product-detail"),
    path("categories/", views.CategoryTreeApi.as_view(), name="category-tree"),
]
