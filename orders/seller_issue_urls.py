"""The seller center's order issues, mounted under /seller/ (branch `cancel`)."""

from django.urls import path

from . import views

app_name = "orders_seller"

urlpatterns = [
    path("issues/", views.SellerIssueListView.as_view(), name="issues"),
    path("issues/<int:pk>/", views.SellerIssueDetailView.as_view(), name="issue"),
]
