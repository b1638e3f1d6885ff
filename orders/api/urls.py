from django.urls import path

from . import cart_checkout, fulfilment_views, views

app_name = "orders_api"

urlpatterns = [
    path("orders/", views.OrderListCreateApi.as_view(), name="order-list"),
    path("orders/<int:pk>/", views.OrderDetailApi.as_view(), name="order-detail"),
    path("orders/<int:pk>/cancel/", views.OrderCancelApi.as_view(), name="order-cancel"),
    path("orders/<int:pk>/pay/", views.OrderPayApi.as_view(), name="order-pay"),
    # --- returns (RMA) ---
    path("orders/<int:pk>/returns/", views.OrderReturnListCreateApi.as_view(), name="order-returns"),
    path("returns/<int:pk>/", views.ReturnDetailApi.as_view(), name="return-detail"),
    # --- end of returns ---
    # Cancellations and order issues (branch `cancel`)
    path("orders/<int:pk>/issues/", views.OrderIssueListCreateApi.as_view(), name="order-issues"),
    path("issues/<int:pk>/", views.IssueDetailApi.as_view(), name="issue-detail"),
    path("products/popular/", views.PopularProductsApi.as_view(), name="products-popular"),
    # --- pricing
    path("checkout/quote/", views.CheckoutQuoteApi.as_view(), name="checkout-quote"),
    # The cart's checkout (issue 15): the cart API's path, checkout's code.
    path("cart/checkout/", cart_checkout.CartCheckoutApi.as_view(), name="cart-checkout"),
    # Fulfilment: shipments with tracking.
    path("orders/<int:pk>/shipments/", fulfilment_views.OrderShipmentListApi.as_view(), name="order-shipments"),
    path("seller/orders/", fulfilment_views.SellerOrderLineListApi.as_view(), name="seller-orders"),
    path("seller/shipments/", fulfilment_views.SellerShipmentListCreateApi.as_view(), name="seller-shipments"),
]
