"""Order snapshots: the whole order as it was, written when it is confirmed and at every status
change (`lifecycle._transition`, the one place a status changes), never changed afterwards."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import models

from ..models import Order, OrderItem, OrderSnapshot, SnapshotReason

# Request bookkeeping, not part of what the customer bought.
_ORDER_FIELDS_LEFT_OUT = frozenset({"idempotency_key", "request_fingerprint"})
_ITEM_FIELDS_LEFT_OUT = frozenset({"order_id", "created_at", "updated_at"})
_PLAIN = (str, int, float, bool, Decimal, dt.datetime, dt.date)


def _fields_of(instance: models.Model, *, left_out: frozenset[str]) -> dict[str, Any]:
    """Every concrete field of a row by its column name, as JSON-ready values.

    Read from the model's fields, not a list written here, so a field added to `Order` or
    `OrderItem` later (the delivery address, say) is in every snapshot taken from then on.
    """
    values: dict[str, Any] = {}
    for field in type(instance)._meta.concrete_fields:
        if field.attname in left_out:
            continue
        value = field.value_from_object(instance)
        if value is None or isinstance(value, _PLAIN):
            values[field.attname] = value
        else:  # a country, say: the field's own text form
            values[field.attname] = field.value_to_string(instance)
    return values


def order_snapshot_data(*, order: Order, items: list[OrderItem]) -> dict[str, Any]:
    return {
        "order": _fields_of(order, left_out=_ORDER_FIELDS_LEFT_OUT),
        "lines": [_fields_of(item, left_out=_ITEM_FIELDS_LEFT_OUT) for item in items],
    }


def order_snapshot_take(*, order: Order, reason: SnapshotReason, items: list[OrderItem] | None = None) -> OrderSnapshot:
    """Write the snapshot of `order` as it is in memory now (one INSERT; one read more without `items`).

    Call it inside the transaction of the change, after the change is applied to `order`.
    """
    if items is None:
        items = list(OrderItem.objects.filter(order_id=order.pk).order_by("id"))
    return OrderSnapshot.objects.create(
        order=order,
        reason=reason,
        status=str(order.status_id),
        subtotal=order.subtotal,
        discount_amount=order.discount_amount,
        shipping_cost=order.shipping_cost,
        tax_amount=order.tax_amount,
        total_amount=order.total_amount,
        currency=order.currency,
        special_instructions=order.special_instructions,
        data=order_snapshot_data(order=order, items=items),
    )
