from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("", views.OrderListView.as_view(), name="list"),
    path("place/", views.OrderPlaceView.as_view(), name="place"),
    path("checkout/", views.CartCheckoutView.as_view(), name="checkout"),
    # --- pricing
    path("checkout/address/", views.CheckoutAddressView.as_view(), name="checkout_address"),
    path("<int:pk>/", views.OrderDetailView.as_view(), name="detail"),
    path("<int:pk>/cancel/", views.OrderCancelView.as_view(), name="cancel"),
    # --- returns (RMA) ---
    path("<int:pk>/returns/new/", views.OrderReturnCreateView.as_view(), name="return_create"),
    path("returns/<int:pk>/", views.ReturnDetailView.as_view(), name="return_detail"),
    # --- end of returns ---
    # Order issues (branch `cancel`)
    path("<int:pk>/issues/new/", views.IssueReportView.as_view(), name="issue_report"),
    path("issues/<int:pk>/", views.IssueDetailView.as_view(), name="issue"),
    path("issues/<int:pk>/rate/", views.IssueRateView.as_view(), name="issue_rate"),
    path("<int:pk>/invoice/", views.OrderInvoiceView.as_view(), name="invoice"),
    # Card payments (issue 14)
    path("<int:pk>/pay/", views.OrderPayView.as_view(), name="pay"),
    path("<int:pk>/payment/return/", views.OrderPaymentReturnView.as_view(), name="payment_return"),
]
