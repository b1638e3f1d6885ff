from django.urls import path

from . import methods, views

app_name = "payments_api"

urlpatterns = [
    path("wallet/", views.WalletApi.as_view(), name="wallet"),
    path("wallet/charge/", views.WalletChargeApi.as_view(), name="wallet_charge"),
    path("wallet/entries/", views.WalletEntryListApi.as_view(), name="wallet_entries"),
]

# Card payments (payments/api/card.py).
from . import card  # noqa: E402

urlpatterns += [
    path("payments/<int:pk>/", card.PaymentDetailApi.as_view(), name="payment_detail"),
    path("webhooks/<slug:gateway>/", card.WebhookApi.as_view(), name="webhook"),
    path("sandbox/tokens/", card.SandboxTokenApi.as_view(), name="sandbox_tokens"),
]

# Saved payment methods (payments/api/methods.py)
urlpatterns += [
    path("payment-methods/", methods.PaymentMethodListCreateApi.as_view(), name="payment_methods"),
    path("payment-methods/<int:method_id>/", methods.PaymentMethodDetailApi.as_view(), name="payment_method"),
    path(
        "payment-methods/<int:method_id>/default/",
        methods.PaymentMethodDefaultApi.as_view(),
        name="payment_method_default",
    ),
]
