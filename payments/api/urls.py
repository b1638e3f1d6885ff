from django.urls import path

from . import views
from .refunds import RefundDetailApi, RefundListCreateApi

app_name = "payments_api"

urlpatterns = [
    path("wallet/", views.WalletApi.as_view(), name="wallet"),
    path("wallet/charge/", views.WalletChargeApi.as_view(), name="wallet_charge"),
    path("wallet/entries/", views.WalletEntryListApi.as_view(), name="wallet_entries"),
]
urlpatterns += [
    path("refunds/", RefundListCreateApi.as_view(), name="refunds"),
    path("refunds/<int:pk>/", RefundDetailApi.as_view(), name="refund"),
]
