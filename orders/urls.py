from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("", views.OrderListView.as_view(), name="list"),
    path("place/", views.OrderPlaceView.as_view(), name="place"),
    path("checkout/", views.CartCheckoutView.as_view(), name="checkout"),
    path("<int:pk>/", views.OrderDetailView.as_view(), name="detail"),
    path("<int:pk>/cancel/", views.OrderCancelView.as_view(), name="cancel"),
    # --- returns (RMA) ---
    path("<int:pk>/returns/new/", views.OrderReturnCreateView.as_view(), name="return_create"),
    path("returns/<int:pk>/", views.ReturnDetailView.as_view(), name="return_detail"),
    # --- end of returns ---
]
