from django.urls import path

from . import views, views_methods

app_name = "payments"

urlpatterns = [
    path("", views.WalletView.as_view(), name="wallet"),
    # Saved payment methods
    path("methods/", views_methods.PaymentMethodListView.as_view(), name="methods"),
    path("methods/new/", views_methods.PaymentMethodNewView.as_view(), name="method_new"),
    path("methods/add/", views_methods.PaymentMethodAddView.as_view(), name="method_add"),
    path("methods/<int:pk>/remove/", views_methods.PaymentMethodRemoveView.as_view(), name="method_remove"),
    path("methods/<int:pk>/default/", views_methods.PaymentMethodMakeDefaultView.as_view(), name="method_default"),
]
