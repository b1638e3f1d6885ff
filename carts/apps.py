from django.apps import AppConfig


class CartsConfig(AppConfig):
    name = "carts"
    verbose_name = "Carts"

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the sign-in merge
