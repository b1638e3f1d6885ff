from django.urls import path

from . import wishlist_views as views

app_name = "wishlists_api"

urlpatterns = [
    path("wishlists/", views.WishlistListCreateApi.as_view(), name="wishlists"),
    path("wishlists/<int:pk>/", views.WishlistDetailApi.as_view(), name="wishlist"),
    path("wishlists/<int:pk>/items/", views.WishlistItemListCreateApi.as_view(), name="items"),
    path("wishlists/<int:pk>/items/<int:item_id>/", views.WishlistItemDetailApi.as_view(), name="item"),
    path(
        "wishlists/<int:pk>/items/<int:item_id>/move-to-cart/",
        views.WishlistItemMoveToCartApi.as_view(),
        name="item_move_to_cart",
    ),
]
