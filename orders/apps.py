from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        # A change of a shipping rule or tax rate makes the cached rules stale (orders.pricing).
        from . import pricing  # noqa: F401

        # A card payment's outcome pays its order (or refunds a late one): orders.services.payment.
        from .services.payment import payment_receivers_connect

        payment_receivers_connect()
