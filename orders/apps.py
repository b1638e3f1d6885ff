from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        # A change of a shipping rule or tax rate makes the cached rules stale (orders.pricing).
        from . import pricing  # noqa: F401
