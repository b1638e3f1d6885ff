"""Taking stock for sale lines (inventory.services.stock_take), as checkout calls it."""

import threading

import pytest
from django.db import connection, transaction

from inventory.exceptions import InsufficientStockError
from inventory.models import ChangeType, InventoryHistory, InventoryItem, Warehouse
from inventory.services import StockRequest, stock_plan, stock_restock, stock_take
from tests.factories.commerce import VariantFactory

from .conftest import reserve

pytestmark = pytest.mark.django_db


def take(*lines: tuple[int, int]):
    with transaction.atomic():
        return stock_take(requests=[StockRequest(variant_id=v, quantity=q) for v, q in lines], reference="order:1")


def quantities(variant) -> list[int]:
    return list(InventoryItem.objects.filter(variant=variant).order_by("pk").values_list("quantity", flat=True))


def test_a_single_row_is_taken_and_the_ledger_says_from_what(item):
    (movement,) = take((item.variant_id, 4))

    assert quantities(item.variant) == [6]
    row = InventoryHistory.objects.get(pk=movement.pk)
    assert (row.change_type, row.quantity_before, row.quantity_delta, row.quantity_after) == (
        ChangeType.SALE,
        10,
        -4,
        6,
    )
    assert row.reference == "order:1"


def test_reserved_units_are_not_sold(item):
    reserve(item, 7)

    with pytest.raises(InsufficientStockError) as caught:
        take((item.variant_id, 4))

    assert caught.value.extra == {"variant_id": item.variant_id, "available": 3, "requested": 4}
    assert quantities(item.variant) == [10]
    assert take((item.variant_id, 3))[0].quantity_after == 7


def test_two_lines_of_one_variant_chain_their_ledger_rows(item):
    first, second = stock_take_two_lines(item.variant_id)

    assert (first.quantity_before, first.quantity_after) == (10, 8)
    assert (second.quantity_before, second.quantity_after) == (8, 5)
    assert quantities(item.variant) == [5]


def stock_take_two_lines(variant_id):
    with transaction.atomic():
        return stock_take(
            requests=[
                StockRequest(variant_id=variant_id, quantity=2, order_item_id=None),
                StockRequest(variant_id=variant_id, quantity=3, order_item_id=None),
            ],
            reference="order:1",
        )


def test_a_variant_in_two_warehouses_is_served_from_the_first_row_first(variant):
    north = Warehouse.objects.create(code="north", name="North")
    stock_restock(variant_id=variant.pk, quantity=5, warehouse_id=north.pk)  # rows: default 10, north 5

    movements = take((variant.pk, 12))

    assert quantities(variant) == [0, 3]
    assert [(m.quantity_before, m.quantity_after) for m in movements] == [(10, 0), (5, 3)]


def test_a_variant_in_two_warehouses_short_of_the_total_changes_nothing(variant):
    north = Warehouse.objects.create(code="north", name="North")
    stock_restock(variant_id=variant.pk, quantity=5, warehouse_id=north.pk)
    other = VariantFactory(stock=10)

    with pytest.raises(InsufficientStockError) as caught:
        take((other.pk, 1), (variant.pk, 16))

    assert caught.value.extra["available"] == 15
    assert quantities(variant) == [10, 5] and quantities(other) == [10]


def test_a_variant_without_a_stock_row_is_sold_out():
    variant = VariantFactory(stock=False)

    with pytest.raises(InsufficientStockError) as caught:
        take((variant.pk, 1))

    assert caught.value.extra == {"variant_id": variant.pk, "available": 0, "requested": 1}


# --- the conditional UPDATE is the guard, not the plan ------------------------------------------


def ledger(item) -> list[tuple[str, int]]:
    return list(
        InventoryHistory.objects.filter(inventory_item=item).order_by("pk").values_list("change_type", "quantity_delta")
    )


@pytest.mark.parametrize(
    ("sold", "reserved", "available"),
    [(8, 0, 2), (0, 7, 3), (5, 3, 2)],
    ids=["sold-meanwhile", "reserved-meanwhile", "both"],
)
def test_a_stale_plan_is_refused_by_the_update_and_changes_nothing(item, sold, reserved, available):
    """The plan saw 10 available; other orders took or reserved units before this take ran. Only
    the UPDATE's `quantity - reserved_quantity >= n` stands between the stale plan and an
    oversold row: it must refuse with InsufficientStockError (not a CHECK's IntegrityError),
    leaving the row and the ledger as the others left them."""
    requests = [StockRequest(variant_id=item.variant_id, quantity=4)]
    plan = stock_plan(requests=requests)
    assert plan.rows_of[item.variant_id][0].available == 10
    InventoryItem.objects.filter(pk=item.pk).update(quantity=10 - sold, reserved_quantity=reserved)
    before = ledger(item)

    with pytest.raises(InsufficientStockError) as caught, transaction.atomic():
        stock_take(requests=requests, reference="order:1", plan=plan)

    assert caught.value.extra == {"variant_id": item.variant_id, "available": available, "requested": 4}
    item.refresh_from_db()
    assert (item.quantity, item.reserved_quantity) == (10 - sold, reserved)
    assert ledger(item) == before


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_baskets_mixing_one_and_two_warehouse_variants_in_opposite_orders_never_deadlock():
    north = Warehouse.objects.create(code="north", name="North")
    spread = VariantFactory(stock=203)  # 80 baskets of 5: the 41st is served from both rows
    stock_restock(variant_id=spread.pk, quantity=300, warehouse_id=north.pk)
    single = VariantFactory(stock=400)
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def basket(lines):
        try:
            start.wait()
            for _ in range(10):
                take(*lines)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    orders = [[(spread.pk, 5), (single.pk, 1)], [(single.pk, 1), (spread.pk, 5)]] * 4
    threads = [threading.Thread(target=basket, args=(lines,)) for lines in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert quantities(spread) == [0, 503 - 80 * 5]
    assert quantities(single) == [400 - 80]
