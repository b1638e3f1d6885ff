from django.urls import path

from . import wishlist_views as views

app_name = "wishlists"

urlpatterns = [
    path("", views.WishlistListView.as_view(), name="list"),
    path("add/", views.WishlistAddView.as_view(), name="add"),
    path("from-cart/<int:item_id>/", views.CartItemMoveToWishlistView.as_view(), name="from_cart"),
    path("shared/<slug:token>/", views.WishlistSharedView.as_view(), name="shared"),
    path("<int:pk>/", views.WishlistDetailView.as_view(), name="detail"),
    path("<int:pk>/delete/", views.WishlistDeleteView.as_view(), name="delete"),
    path("<int:pk>/share-link/", views.WishlistShareLinkView.as_view(), name="share_link"),
    path("<int:pk>/items/<int:item_id>/", views.WishlistItemUpdateView.as_view(), name="item_update"),
    path("<int:pk>/items/<int:item_id>/remove/", views.WishlistItemRemoveView.as_view(), name="item_remove"),
    path(
        "<int:pk>/items/<int:item_id>/move-to-cart/",
        views.WishlistItemMoveToCartView.as_view(),
        name="item_move_to_cart",
    ),
]
