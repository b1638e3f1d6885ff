"""The order status lookup rows, written by migration 0003 and re-written after a test flush."""

from typing import Any

from django.apps import apps as global_apps

# `is_final_state` is True exactly for the statuses with no allowed next state in
# `orders.models.TRANSITIONS` (a delivered order can still be refunded). Migration 0005 mended
# databases seeded when delivered was marked final.
STATUSES = [
    # code, name, group, display_order, is_final_state
    ("pending", "Pending payment", "active", 10, False),
    ("paid", "Paid", "active", 20, False),
    ("processing", "Processing", "active", 30, False),
    ("shipped", "Shipped", "active", 40, False),
    ("delivered", "Delivered", "completed", 50, False),
    ("cancelled", "Cancelled", "cancelled", 60, True),
    ("refunded", "Refunded", "cancelled", 70, True),
]


def ensure_order_statuses(apps: Any = global_apps) -> None:
    OrderStatus = apps.get_model("orders", "OrderStatus")
    if OrderStatus.objects.filter(code__in=[row[0] for row in STATUSES]).count() == len(STATUSES):
        return
    for code, name, group, display_order, is_final in STATUSES:
        OrderStatus.objects.update_or_create(
            code=code,
            defaults={"name": name, "group": group, "display_order": display_order, "is_final_state": is_final},
        )
