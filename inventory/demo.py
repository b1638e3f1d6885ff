"""Demo stock for `manage.py seed_demo`: the demo variants (catalog/demo.py) get units in the
default warehouse through `stock_restock`, so the history ledger has a row per delivery. Some
products are sold out and some are low, to show the badges.

Idempotent: a variant that already has a stock row in the default warehouse is left alone.
"""

from typing import Any

from django.apps import apps
from django.db import transaction

from common.demo_skus import DEMO_SKU_PREFIX as SKU_PREFIX

from .models import ChangeSource, InventoryItem
from .services import default_warehouse, stock_restock


def demo_quantity(sku: str) -> int:
    """Units for a demo SKU ``DEMO-NNN-K``: every 9th product sold out, every 5th low."""
    number, option = (int(part) for part in sku.removeprefix(SKU_PREFIX).split("-"))
    if number % 9 == 4 or (option == 3 and number % 4 == 0):
        return 0
    if number % 5 == 1:
        return 1 + (number + option) % 4
    return 12 + (number * 13 + option * 7) % 80


def seed(stdout: Any) -> None:
    warehouse = default_warehouse()
    variants = list(
        apps.get_model("catalog", "ProductVariant")
        .objects.filter(sku__startswith=SKU_PREFIX)
        .exclude(inventory_items__warehouse=warehouse)
        .order_by("pk")
        .values_list("pk", "sku")
    )
    if not variants:
        stdout.write("inventory: demo stock already there")
        return
    empty: list[InventoryItem] = []
    units = 0
    with transaction.atomic():
        for variant_id, sku in variants:
            quantity = demo_quantity(sku)
            if quantity == 0:
                empty.append(InventoryItem(variant_id=variant_id, warehouse=warehouse, quantity=0))
                continue
            stock_restock(
                variant_id=variant_id,
                quantity=quantity,
                warehouse_id=warehouse.pk,
                reason="Demo stock",
                source=ChangeSource.IMPORT,
            )
            units += quantity
        InventoryItem.objects.bulk_create(empty)
    stdout.write(f"inventory: {units} units for {len(variants)} demo variants ({len(empty)} sold out)")
