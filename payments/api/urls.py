from django.urls import path

from . import views

app_name = "payments_api"

urlpatterns = [
    path("wallet/", views.WalletApi.as_view(), name="wallet"),
    path("wallet/charge/", views.WalletChargeApi.as_view(), name="wallet_charge"),
    path("wallet/entries/", views.WalletEntryListApi.as_view(), name="wallet_entries"),
]
