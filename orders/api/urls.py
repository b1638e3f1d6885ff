from django.urls import path

from . import fulfilment_views, views

app_name = "orders_api"

urlpatterns = [
    path("orders/", views.OrderListCreateApi.as_view(), name="order-list"),
    path("orders/<int:pk>/", views.OrderDetailApi.as_view(), name="order-detail"),
    path("orders/<int:pk>/cancel/", views.OrderCancelApi.as_view(), name="order-cancel"),
    path("products/popular/", views.PopularProductsApi.as_view(), name="products-popular"),
    # Fulfilment: shipments with tracking.
    path("orders/<int:pk>/shipments/", fulfilment_views.OrderShipmentListApi.as_view(), name="order-shipments"),
    path("seller/orders/", fulfilment_views.SellerOrderLineListApi.as_view(), name="seller-orders"),
    path("seller/shipments/", fulfilment_views.SellerShipmentListCreateApi.as_view(), name="seller-shipments"),
]
