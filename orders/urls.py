from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("", views.OrderListView.as_view(), name="list"),
    path("place/", views.OrderPlaceView.as_view(), name="place"),
    path("checkout/", views.CartCheckoutView.as_view(), name="checkout"),
    path("<int:pk>/", views.OrderDetailView.as_view(), name="detail"),
    path("<int:pk>/cancel/", views.OrderCancelView.as_view(), name="cancel"),
    path("<int:pk>/invoice/", views.OrderInvoiceView.as_view(), name="invoice"),
]
