from django.urls import path

from . import saved_views

app_name = "saved_carts_api"

urlpatterns = [
    path("saved-carts/", saved_views.SavedCartListCreateApi.as_view(), name="saved-cart-list"),
    path("saved-carts/<int:pk>/", saved_views.SavedCartDetailApi.as_view(), name="saved-cart-detail"),
    path("saved-carts/<int:pk>/restore/", saved_views.SavedCartRestoreApi.as_view(), name="saved-cart-restore"),
]
