from django.urls import path

from . import recovery_views, views

app_name = "carts"

urlpatterns = [
    path("", views.CartDetailView.as_view(), name="detail"),
    path("add/", views.CartAddView.as_view(), name="add"),
    path("items/<int:pk>/", views.CartItemUpdateView.as_view(), name="item_update"),
    path("items/<int:pk>/remove/", views.CartItemRemoveView.as_view(), name="item_remove"),
    # Abandoned-cart recovery: the signed link of a recovery e-mail (carts/abandonment.py).
    path("recover/<str:token>/", recovery_views.CartRecoverView.as_view(), name="recover"),
]
