from django.urls import path

from . import views

app_name = "promotions_api"

urlpatterns = [
    path("coupons/", views.CouponListApi.as_view(), name="coupons"),
    path("coupons/<int:coupon_id>/claim/", views.CouponClaimApi.as_view(), name="coupon_claim"),
    path("me/coupons/", views.MyCouponListApi.as_view(), name="my_coupons"),
]
