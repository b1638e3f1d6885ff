from django.urls import path

from . import views

app_name = "promotions"

urlpatterns = [
    path("", views.CouponListView.as_view(), name="coupons"),
    path("<int:coupon_id>/claim/", views.CouponClaimView.as_view(), name="coupon_claim"),
    path("mine/", views.MyCouponsView.as_view(), name="my_coupons"),
]
