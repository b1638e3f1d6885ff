"""The sandbox processor's pages, mounted at sandbox-gateway/ (config/urls.py)."""

from django.urls import path

from . import sandbox_views

app_name = "sandbox"

urlpatterns = [
    path("cards/new/", sandbox_views.SandboxCardView.as_view(), name="card"),
    path("confirm/<str:reference>/", sandbox_views.SandboxConfirmView.as_view(), name="confirm"),
]
