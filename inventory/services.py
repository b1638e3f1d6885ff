"""Every stock movement. Rows are always locked in primary-key order, so two orders that touch
the same variants in any order can never deadlock, and a movement writes its history row in the
same transaction.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NoReturn

from django.apps import apps
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from .exceptions import InsufficientStockError, InvalidStockChangeError
from .models import ChangeSource, ChangeType, InventoryHistory, InventoryItem, Warehouse
from .signals import stock_changed


@dataclass(frozen=True)
class StockRequest:
    variant_id: int
    quantity: int
    order_item_id: int | None = None


def _locked_items(**filters: object) -> QuerySet[InventoryItem]:
    """Inventory rows locked for update in primary-key order (the one lock order of the shop)."""
    return InventoryItem.objects.select_for_update().filter(**filters).order_by("pk")


@dataclass(frozen=True)
class StockRow:
    pk: int
    product_id: int
    available: int  # quantity - reserved when the plan was read, never below 0


@dataclass(frozen=True)
class StockPlan:
    """Which stock rows serve which variants, read without a lock (`stock_plan`)."""

    rows_of: dict[int, list[StockRow]]  # variant id -> its rows, in primary-key order


def stock_plan(*, requests: Sequence[StockRequest]) -> StockPlan:
    """Read, without locking anything, which rows hold these variants; refuse at once what the
    rows as read cannot serve.

    Checkout calls it before it writes anything, so in a flash sale the many orders that come
    too late are refused for the price of one read. What the rows as read can serve is taken
    (or still refused) by `stock_take`'s conditional updates.
    """
    wanted: dict[int, int] = defaultdict(int)
    for request in requests:
        wanted[request.variant_id] += request.quantity
    rows_of: dict[int, list[StockRow]] = {variant_id: [] for variant_id in wanted}
    for pk, variant_id, product_id, quantity, reserved in (
        InventoryItem.objects.filter(variant_id__in=list(wanted))
        .order_by("pk")
        .values_list("pk", "variant_id", "variant__product_id", "quantity", "reserved_quantity")
    ):
        rows_of[variant_id].append(StockRow(pk=pk, product_id=product_id, available=max(quantity - reserved, 0)))
    for variant_id in sorted(wanted):
        available = sum(row.available for row in rows_of[variant_id])
        if available < wanted[variant_id]:
            _refuse(variant_id, available=available, requested=wanted[variant_id])
    return StockPlan(rows_of=rows_of)


def stock_take(
    *, requests: Sequence[StockRequest], reference: str, actor: User | None = None, plan: StockPlan | None = None
) -> list[InventoryHistory]:
    """Take stock for sale lines, across warehouses in a fixed order, or raise.

    A variant with one stock row (the usual case) is taken by one conditional UPDATE
    (`quantity - reserved_quantity >= n`) that checks, changes and locks the row at once: under
    a flash sale the hot row is then held only from that statement to the commit. A variant
    stocked in several warehouses has its rows locked and then split. Across all lines rows are
    locked in primary-key order, so two orders can never deadlock. `plan` is the caller's
    `stock_plan` of these requests (read again when not given).

    Raises InsufficientStockError naming the first variant that cannot be served. Runs inside
    the caller's transaction (checkout), which owns the commit, and on an error the rollback of
    what was taken before it.
    """
    assert transaction.get_connection().in_atomic_block, "stock_take runs inside the caller's transaction"
    requests = sorted(requests, key=lambda r: (r.variant_id, r.order_item_id or 0))
    rows_of = (plan or stock_plan(requests=requests)).rows_of
    by_variant: dict[int, list[StockRequest]] = defaultdict(list)
    for request in requests:
        by_variant[request.variant_id].append(request)
    variant_of_row = {row.pk: variant_id for variant_id, rows in rows_of.items() for row in rows}
    product_of = {variant_id: rows[0].product_id for variant_id, rows in rows_of.items() if rows}

    movements: list[InventoryHistory] = []
    locked: dict[int, InventoryItem] = {}
    for pk in sorted(variant_of_row):
        variant_id = variant_of_row[pk]
        if len(rows_of[variant_id]) == 1:
            for request in by_variant[variant_id]:
                movements.append(_take_from_row(pk, request, reference=reference, actor=actor))
        else:
            locked[pk] = _locked_items(pk=pk).get()
    # Variants in several warehouses: their rows are all locked now; split in primary-key order.
    split: list[InventoryHistory] = []
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
                take = min(needed, item.quantity - item.reserved_quantity)
                if take <= 0:
                    continue
                split.append(_sale(item.pk, item.quantity, item.quantity - take, request, reference, actor))
                item.quantity -= take  # keep the in-memory count right for a second line of the same variant
                needed -= take
                if needed == 0:
                    break
    # Sales know their products already (the plan read them): the catalogue's cache needs no lookup.
    _apply(split, product_ids=[product_of[variant_of_row[m.inventory_item_id]] for m in split])
    _record(movements, product_ids=[product_of[variant_of_row[m.inventory_item_id]] for m in movements])
    return movements + split


def _take_from_row(pk: int, request: StockRequest, *, reference: str, actor: User | None) -> InventoryHistory:
    table = connection.ops.quote_name(InventoryItem._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET quantity = quantity - %s, updated_at = %s "  # noqa: S608 - the table name is ours
            "WHERE id = %s AND quantity - reserved_quantity >= %s RETURNING quantity",
            [request.quantity, timezone.now(), pk, request.quantity],
        )
        row = cursor.fetchone()
    if row is None:
        item = InventoryItem.objects.get(pk=pk)
        _refuse(
            request.variant_id, available=max(item.quantity - item.reserved_quantity, 0), requested=request.quantity
        )
    after = row[0]
    return _sale(pk, after + request.quantity, after, request, reference, actor)


def _sale(
    pk: int, before: int, after: int, request: StockRequest, reference: str, actor: User | None
) -> InventoryHistory:
    return InventoryHistory(
        inventory_item_id=pk,
        change_type=ChangeType.SALE,
        quantity_before=before,
        quantity_after=after,
        quantity_delta=after - before,
        reference=reference,
        order_item_id=request.order_item_id,
        actor=actor,
    )


def _item_name(variant_id: int) -> str:
    """The product's title and the option's name ("Blue teapot (Large)"), for a refusal: one query
    on a path that ends the request. Reached by string reference: inventory imports no catalogue."""
    row = (
        apps.get_model("catalog", "ProductVariant")
        ._base_manager.filter(pk=variant_id)
        .values_list("product__title", "name")
        .first()
    )
    if row is None:
        return _("one of the items you chose")
    title, name = row
    return f"{title} ({name})" if name else title


def _refuse(variant_id: int, *, available: int, requested: int) -> NoReturn:
    item = _item_name(variant_id)
    if available <= 0:
        message = _("%(item)s is sold out.") % {"item": item}
    else:
        message = _("Only %(available)d left of %(item)s.") % {"available": available, "item": item}
    raise InsufficientStockError(
        message, extra={"variant_id": variant_id, "available": available, "requested": requested}
    )


def stock_return_for_order_items(
    *, order_item_ids: Iterable[int], reference: str, reason: str, actor: User | None = None
) -> list[InventoryHistory]:
    """Put back exactly what sale movements of these order lines took (a cancellation)."""
    assert transaction.get_connection().in_atomic_block, "stock_return runs inside the caller's transaction"
    sales = list(
        InventoryHistory.objects.filter(order_item_id__in=list(order_item_ids), change_type=ChangeType.SALE).order_by(
            "pk"
        )
    )
    taken: dict[int, int] = defaultdict(int)
    for sale in sales:
        taken[sale.inventory_item_id] += -sale.quantity_delta
    movements: list[InventoryHistory] = []
    sale_by_item = {sale.inventory_item_id: sale for sale in sales}
    for item in _locked_items(pk__in=list(taken)):
        quantity = taken[item.pk]
        movements.append(
            InventoryHistory(
                inventory_item=item,
                change_type=ChangeType.CANCELLATION,
                quantity_before=item.quantity,
                quantity_after=item.quantity + quantity,
                quantity_delta=quantity,
                reason=reason,
                reference=reference,
                order_item_id=sale_by_item[item.pk].order_item_id,
                actor=actor,
            )
        )
    _apply(movements)
    return movements


def _apply(movements: list[InventoryHistory], *, product_ids: list[int] | None = None) -> None:
    # Relative updates on rows this transaction holds locked; the CHECK constraints are the
    # last line of defence against a negative count.
    for movement in movements:
        InventoryItem.objects.filter(pk=movement.inventory_item_id).update(
            quantity=F("quantity") + movement.quantity_delta
        )
    _record(movements, product_ids=product_ids)


def _record(movements: list[InventoryHistory], *, product_ids: list[int] | None = None) -> None:
    """Write the movements to the stock ledger, in the transaction that made them.

    `product_ids` are the movements' products when the caller knows them (sales); otherwise each
    movement carries its loaded `inventory_item`, whose variant is looked up after commit.
    """
    InventoryHistory.objects.bulk_create(movements)
    # Cached catalogue pages show availability: stale once this commits.
    if product_ids is not None:
        stock_changed(product_ids=product_ids)
    else:
        stock_changed(variant_ids=[movement.inventory_item.variant_id for movement in movements])


def default_warehouse() -> Warehouse:
    return Warehouse.objects.get(is_default=True)


def stock_restock(
    *,
    variant_id: int,
    quantity: int,
    warehouse_id: int | None = None,
    actor: User | None = None,
    reason: str = "",
    source: str = ChangeSource.USER,
) -> InventoryHistory:
    """Add received goods to a variant's stock in a warehouse (the default one if none given)."""
    if quantity <= 0:
        raise InvalidStockChangeError(_("Restock a positive number of units."))
    with transaction.atomic():
        warehouse_id = warehouse_id or default_warehouse().pk
        InventoryItem.objects.get_or_create(variant_id=variant_id, warehouse_id=warehouse_id)
        item = _locked_items(variant_id=variant_id, warehouse_id=warehouse_id).get()
        movement = InventoryHistory(
            inventory_item=item,
            change_type=ChangeType.RESTOCK,
            change_source=source,
            quantity_before=item.quantity,
            quantity_after=item.quantity + quantity,
            quantity_delta=quantity,
            reason=reason,
            actor=actor,
        )
        _apply([movement])
    return movement


def stock_adjust(
    *, inventory_item_id: int, new_quantity: int, actor: User | None = None, reason: str = ""
) -> InventoryHistory | None:
    """Set a counted quantity (a stock take); records the difference. None when nothing changed."""
    if new_quantity < 0:
        raise InvalidStockChangeError(_("A stock count cannot be negative."))
    with transaction.atomic():
        item = _locked_items(pk=inventory_item_id).get()
        if new_quantity < item.reserved_quantity:
            raise InvalidStockChangeError(
                _("%(reserved)d units are reserved for orders; the count cannot be lower.")
                % {"reserved": item.reserved_quantity}
            )
        delta = new_quantity - item.quantity
        if delta == 0:
            return None
        movement = InventoryHistory(
            inventory_item=item,
            change_type=ChangeType.ADJUSTMENT,
            change_source=ChangeSource.USER,
            quantity_before=item.quantity,
            quantity_after=new_quantity,
            quantity_delta=delta,
            reason=reason,
            actor=actor,
        )
        _apply([movement])
    return movement


def stock_return_for_order_item(
    *, order_item_id: int, quantity: int, reference: str, reason: str, actor: User | None = None
) -> InventoryHistory | None:
    """Put `quantity` units of a sold line back on the shelf it was sold from (a customer return).

    Once per `reference`: when the ledger already holds a return movement of this line with this
    reference (a retried step), nothing moves and None is returned. The caller holds the lock that
    makes the step itself happen once (the return's row); this check is the ledger's own backstop.
    Runs inside the caller's transaction.
    """
    assert transaction.get_connection().in_atomic_block, "stock_return runs inside the caller's transaction"
    if quantity <= 0:
        raise InvalidStockChangeError(_("Return a positive number of units."))
    already = InventoryHistory.objects.filter(
        order_item_id=order_item_id, change_type=ChangeType.RETURN, reference=reference
    ).exists()
    if already:
        return None
    sale = (
        InventoryHistory.objects.filter(order_item_id=order_item_id, change_type=ChangeType.SALE)
        .order_by("pk")
        .values_list("inventory_item_id", flat=True)
        .first()
    )
    if sale is not None:
        item = _locked_items(pk=sale).get()
    else:  # a line sold before the ledger knew its lines: the variant's row in the default warehouse
        from orders.models import OrderItem  # orders depends on inventory, not the other way round

        variant_id = OrderItem.objects.values_list("variant_id", flat=True).get(pk=order_item_id)
        warehouse_id = default_warehouse().pk
        InventoryItem.objects.get_or_create(variant_id=variant_id, warehouse_id=warehouse_id)
        item = _locked_items(variant_id=variant_id, warehouse_id=warehouse_id).get()
    movement = InventoryHistory(
        inventory_item=item,
        change_type=ChangeType.RETURN,
        change_source=ChangeSource.SYSTEM,
        quantity_before=item.quantity,
        quantity_after=item.quantity + quantity,
        quantity_delta=quantity,
        reason=reason[:255],
        reference=reference[:64],
        order_item_id=order_item_id,
        actor=actor,
    )
    _apply([movement])
    return movement
