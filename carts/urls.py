from django.urls import path

from . import recovery_views, saved_views, views

app_name = "carts"

urlpatterns = [
    path("", views.CartDetailView.as_view(), name="detail"),
    path("add/", views.CartAddView.as_view(), name="add"),
    path("items/<int:pk>/", views.CartItemUpdateView.as_view(), name="item_update"),
    path("items/<int:pk>/remove/", views.CartItemRemoveView.as_view(), name="item_remove"),
    # --- saved carts and "Empty cart" (branch csaved) ---
    path("clear/", saved_views.CartClearView.as_view(), name="clear"),
    path("saved/", saved_views.SavedCartListView.as_view(), name="saved_list"),
    path("saved/new/", saved_views.SavedCartCreateView.as_view(), name="saved_create"),
    path("saved/<int:pk>/", saved_views.SavedCartDetailView.as_view(), name="saved_detail"),
    path("saved/<int:pk>/restore/", saved_views.SavedCartRestoreView.as_view(), name="saved_restore"),
    path("saved/<int:pk>/delete/", saved_views.SavedCartDeleteView.as_view(), name="saved_delete"),
    # --- end of saved carts ---
    # Abandoned-cart recovery: the signed link of a recovery e-mail (carts/abandonment.py).
    path("recover/<str:token>/", recovery_views.CartRecoverView.as_view(), name="recover"),
]
