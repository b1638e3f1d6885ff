"""Stock held for an order that waits for its payment (`StockReservation`).

A held reservation counts in its row's `reserved_quantity`, so nobody else can buy those units,
while the row's `quantity` stays as it is: nothing is sold yet. The payment turns it into a sale
(`reservations_convert`: quantity and reserved both go down, a sale row in the stock ledger);
the order's expiry or cancellation gives it back (`reservations_release`: reserved goes down).

Every change happens under the inventory rows' locks, taken in primary-key order (the shop's one
lock order, see `inventory.services`), and a reservation leaves `held` once: converting or
releasing an order twice, or both at once from two workers, moves the stock once.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User

from .models import ChangeType, InventoryHistory, InventoryItem, ReservationStatus, StockReservation
from .services import StockPlan, StockRequest, _locked_items, _refuse, stock_plan
from .signals import stock_changed


def stock_reserve(
    *, requests: Sequence[StockRequest], order_id: int, expires_at: dt.datetime, plan: StockPlan | None = None
) -> list[StockReservation]:
    """Hold stock for an order's lines until `expires_at`, across warehouses in a fixed order, or raise.

    The twin of `stock_take` for an order paid later: a variant with one stock row is held by one
    conditional UPDATE (`quantity - reserved_quantity >= n`) that checks, changes and locks the
    row at once; a variant in several warehouses has its rows locked and split in primary-key
    order. Each request needs its `order_item_id`. `plan` is the caller's `stock_plan` of these
    requests (read again when not given).

    Raises InsufficientStockError naming the first variant that cannot be served. Runs inside
    the caller's transaction (checkout), which rolls back what was held before an error.
    """
    assert transaction.get_connection().in_atomic_block, "stock_reserve runs inside the caller's transaction"
    requests = sorted(requests, key=lambda r: (r.variant_id, r.order_item_id or 0))
    rows_of = (plan or stock_plan(requests=requests)).rows_of
    by_variant: dict[int, list[StockRequest]] = defaultdict(list)
    for request in requests:
        by_variant[request.variant_id].append(request)
    variant_of_row = {row.pk: variant_id for variant_id, rows in rows_of.items() for row in rows}

    held: list[StockReservation] = []
    locked: dict[int, InventoryItem] = {}
    now = timezone.now()
    for pk in sorted(variant_of_row):
        variant_id = variant_of_row[pk]
        if len(rows_of[variant_id]) == 1:
            for request in by_variant[variant_id]:
                _hold_on_row(pk, request, now=now)
                held.append(_reservation(pk, request, request.quantity, order_id, expires_at))
        else:
            locked[pk] = _locked_items(pk=pk).get()
    # Variants in several warehouses: their rows are all locked now; split in primary-key order.
    for variant_id, rows in rows_of.items():
        if len(rows) == 1:
            continue
        items = [locked[row.pk] for row in rows]
        for request in by_variant[variant_id]:
            needed = request.quantity
            available = sum(max(item.quantity - item.reserved_quantity, 0) for item in items)
            if available < needed:
                _refuse(variant_id, available=available, requested=needed)
            for item in items:
                hold = min(needed, item.quantity - item.reserved_quantity)
                if hold <= 0:
                    continue
                InventoryItem.objects.filter(pk=item.pk).update(
                    reserved_quantity=F("reserved_quantity") + hold, updated_at=now
                )
                item.reserved_quantity += hold  # a second line of the same variant sees what this one holds
                held.append(_reservation(item.pk, request, hold, order_id, expires_at))
                needed -= hold
                if needed == 0:
                    break
    StockReservation.objects.bulk_create(held)
    # What the catalogue shows as available went down.
    stock_changed(product_ids=[row.product_id for rows in rows_of.values() for row in rows])
    return held


def _hold_on_row(pk: int, request: StockRequest, *, now: dt.datetime) -> None:
    updated = InventoryItem.objects.filter(pk=pk, available_quantity__gte=request.quantity).update(
        reserved_quantity=F("reserved_quantity") + request.quantity, updated_at=now
    )
    if not updated:
        item = InventoryItem.objects.get(pk=pk)
        _refuse(
            request.variant_id, available=max(item.quantity - item.reserved_quantity, 0), requested=request.quantity
        )


def _reservation(
    pk: int, request: StockRequest, quantity: int, order_id: int, expires_at: dt.datetime
) -> StockReservation:
    return StockReservation(
        inventory_item_id=pk,
        variant_id=request.variant_id,
        order_id=order_id,
        order_item_id=request.order_item_id,
        quantity=quantity,
        expires_at=expires_at,
    )


def _held_under_lock(order_id: int) -> tuple[list[StockReservation], dict[int, InventoryItem]]:
    """The order's held reservations and their stock rows, the rows locked in primary-key order.

    Read twice: once to know which rows to lock, then again under the locks, because a parallel
    convert or release of the same order may have closed some while this one waited.
    """
    item_ids = set(
        StockReservation.objects.filter(order_id=order_id, status=ReservationStatus.HELD).values_list(
            "inventory_item_id", flat=True
        )
    )
    if not item_ids:
        return [], {}
    items = {item.pk: item for item in _locked_items(pk__in=item_ids)}
    held = StockReservation.objects.filter(order_id=order_id, status=ReservationStatus.HELD).order_by("pk")
    # Only rows locked here: reservations are made with their order, never added to it later.
    return [r for r in held if r.inventory_item_id in items], items


def _close(held: list[StockReservation], status: ReservationStatus) -> None:
    now = timezone.now()
    StockReservation.objects.filter(pk__in=[r.pk for r in held], status=ReservationStatus.HELD).update(
        status=status, closed_at=now, updated_at=now
    )
    for reservation in held:
        reservation.status, reservation.closed_at = status, now


def reservations_convert(*, order_id: int, actor: User | None = None) -> list[InventoryHistory]:
    """The order is paid: its held stock is sold. For each held reservation the row's quantity and
    reserved count go down by its units, and a sale row (with the order line) joins the stock
    ledger, as `stock_take` writes at a wallet checkout. The sale rows; [] when nothing was held
    (converted or released before: nothing moves again).

    Runs inside the caller's transaction (the payment's, holding the order row).
    """
    assert transaction.get_connection().in_atomic_block, "reservations_convert runs inside the caller's transaction"
    held, items = _held_under_lock(order_id)
    if not held:
        return []
    movements: list[InventoryHistory] = []
    for reservation in held:
        item = items[reservation.inventory_item_id]
        units = reservation.quantity
        InventoryItem.objects.filter(pk=item.pk).update(
            quantity=F("quantity") - units, reserved_quantity=F("reserved_quantity") - units, updated_at=timezone.now()
        )
        movements.append(
            InventoryHistory(
                inventory_item_id=item.pk,
                change_type=ChangeType.SALE,
                quantity_before=item.quantity,
                quantity_after=item.quantity - units,
                quantity_delta=-units,
                reference=f"order:{order_id}",
                order_item_id=reservation.order_item_id,
                actor=actor,
            )
        )
        item.quantity -= units
    _close(held, ReservationStatus.CONVERTED)
    # Available (quantity - reserved) is unchanged: the catalogue's cached pages stay right.
    InventoryHistory.objects.bulk_create(movements)
    return movements


def reservations_release(*, order_id: int) -> list[StockReservation]:
    """Give back the stock an unpaid order holds (it expired or was cancelled): the rows' reserved
    counts go down, the reservations are released. The ones released now; [] when nothing was
    held any more. The row's quantity never moved, so the stock ledger has nothing to record.

    Runs inside the caller's transaction (the order's release, holding the order row).
    """
    assert transaction.get_connection().in_atomic_block, "reservations_release runs inside the caller's transaction"
    held, items = _held_under_lock(order_id)
    if not held:
        return []
    for reservation in held:
        InventoryItem.objects.filter(pk=reservation.inventory_item_id).update(
            reserved_quantity=F("reserved_quantity") - reservation.quantity, updated_at=timezone.now()
        )
    _close(held, ReservationStatus.RELEASED)
    stock_changed(variant_ids=[item.variant_id for item in items.values()])
    return held
