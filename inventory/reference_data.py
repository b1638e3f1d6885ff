"""The default warehouse, written by migration 0003 and re-written after a test flush."""

from typing import Any

from django.apps import apps as global_apps


def ensure_default_warehouse(apps: Any = global_apps) -> None:
    Warehouse = apps.get_model("inventory", "Warehouse")
    if not Warehouse.objects.filter(is_default=True).exists():
        Warehouse.objects.get_or_create(code="main", defaults={"name": "Main warehouse", "is_default": True})
