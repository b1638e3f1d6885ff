from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = "Common"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        # Each app declares its notification kinds in its own `notifications.py`.
        autodiscover_modules("notifications")
