from typing import TYPE_CHECKING, Any

from django.apps import AppConfig
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

if TYPE_CHECKING:
    from .models import InventoryItem


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Inventory"

    def ready(self) -> None:
        from .models import InventoryItem

        # Stock rows saved one by one (a new variant's first row, staff edits): the catalogue's
        # cached pages show availability. Movements through the services send it themselves.
        for signal in (post_save, post_delete):
            signal.connect(_stock_row_saved, sender=InventoryItem, dispatch_uid=f"inventory-stock-row-{signal}")


def _stock_row_saved(sender: type[Model], instance: "InventoryItem", **kwargs: Any) -> None:
    from .signals import stock_changed

    stock_changed(variant_ids=[instance.variant_id])
