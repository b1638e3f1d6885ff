from django.urls import path

from . import views

app_name = "orders_api"

urlpatterns = [
    path("orders/", views.OrderListCreateApi.as_view(), name="order-list"),
    path("orders/<int:pk>/", views.OrderDetailApi.as_view(), name="order-detail"),
    path("orders/<int:pk>/cancel/", views.OrderCancelApi.as_view(), name="order-cancel"),
    # --- returns (RMA) ---
    path("orders/<int:pk>/returns/", views.OrderReturnListCreateApi.as_view(), name="order-returns"),
    path("returns/<int:pk>/", views.ReturnDetailApi.as_view(), name="return-detail"),
    # --- end of returns ---
    path("products/popular/", views.PopularProductsApi.as_view(), name="products-popular"),
]
