from django.urls import path

from . import views

app_name = "carts_api"

urlpatterns = [
    path("cart/", views.CartApi.as_view(), name="cart"),
    path("cart/items/<int:pk>/", views.CartItemApi.as_view(), name="cart-item"),
]
