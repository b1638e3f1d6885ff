from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Inventory"

    def ready(self) -> None:
        from .models import InventoryItem

        # Stock rows saved one by one (a new variant's first row, staff edits): the catalogue's
        # cached pages show availability. Movements through the services send it themselves.
        for signal in (post_save, post_delete):
            signal.connect(_stock_row_saved, sender=InventoryItem, dispatch_uid=f"inventory-stock-row-{signal}")


def _stock_row_saved(sender, instance, **kwargs) -> None:  # type: ignore[no-untyped-def]
    from .signals import stock_changed

    stock_changed(variant_ids=[instance.variant_id])
