import pytest

from inventory.exceptions import InvalidStockChangeError
from inventory.models import ChangeSource, ChangeType, InventoryHistory, InventoryItem, StockStatus, Warehouse
from inventory.services import stock_adjust, stock_restock
from tests.factories.accounts import UserFactory
from tests.factories.commerce import VariantFactory

from .conftest import reserve

pytestmark = pytest.mark.django_db


def test_restock_adds_units_and_writes_a_history_row(item):
    actor = UserFactory()

    movement = stock_restock(variant_id=item.variant_id, quantity=5, actor=actor, reason="Delivery 42")

    item.refresh_from_db()
    assert item.quantity == 15
    assert item.available_quantity == 15
    row = InventoryHistory.objects.get(pk=movement.pk)
    assert (row.change_type, row.change_source) == (ChangeType.RESTOCK, ChangeSource.USER)
    assert (row.quantity_before, row.quantity_delta, row.quantity_after) == (10, 5, 15)
    assert row.actor == actor and row.reason == "Delivery 42"


def test_restock_creates_the_stock_row_in_the_default_warehouse(warehouse):
    variant = VariantFactory(stock=False)

    stock_restock(variant_id=variant.pk, quantity=3)

    item = InventoryItem.objects.get(variant=variant)
    assert item.warehouse == warehouse
    assert item.quantity == 3
    assert item.status == StockStatus.LOW_STOCK


def test_restock_into_another_warehouse(variant):
    north = Warehouse.objects.create(code="north", name="North")

    stock_restock(variant_id=variant.pk, quantity=7, warehouse_id=north.pk)

    assert InventoryItem.objects.get(variant=variant, warehouse=north).quantity == 7
    assert InventoryItem.objects.filter(variant=variant).count() == 2


@pytest.mark.parametrize("quantity", [0, -3])
def test_restock_refuses_a_non_positive_quantity(item, quantity):
    with pytest.raises(InvalidStockChangeError) as caught:
        stock_restock(variant_id=item.variant_id, quantity=quantity)

    assert caught.value.code == "invalid_stock_change"
    item.refresh_from_db()
    assert item.quantity == 10
    assert not InventoryHistory.objects.exists()


def test_adjust_sets_the_counted_quantity_and_records_the_difference(item):
    movement = stock_adjust(inventory_item_id=item.pk, new_quantity=4, reason="Shelf count")

    item.refresh_from_db()
    assert item.quantity == 4
    assert (movement.change_type, movement.quantity_delta, movement.quantity_after) == (ChangeType.ADJUSTMENT, -6, 4)
    assert InventoryHistory.objects.filter(inventory_item=item).count() == 1


def test_adjust_to_the_same_count_changes_nothing(item):
    assert stock_adjust(inventory_item_id=item.pk, new_quantity=10) is None
    assert not InventoryHistory.objects.exists()


def test_adjust_refuses_a_negative_count(item):
    with pytest.raises(InvalidStockChangeError):
        stock_adjust(inventory_item_id=item.pk, new_quantity=-1)

    item.refresh_from_db()
    assert item.quantity == 10


def test_adjust_refuses_a_count_below_the_reserved_units(item):
    reserve(item, 6)

    with pytest.raises(InvalidStockChangeError) as caught:
        stock_adjust(inventory_item_id=item.pk, new_quantity=5)

    assert "6 units are reserved" in str(caught.value.message)
    item.refresh_from_db()
    assert item.quantity == 10
    assert not InventoryHistory.objects.exists()
    assert stock_adjust(inventory_item_id=item.pk, new_quantity=6).quantity_after == 6


def test_generated_columns_follow_the_counts(item):
    reserve(item, 8)

    assert item.available_quantity == 2
    assert item.status == StockStatus.LOW_STOCK
    stock_adjust(inventory_item_id=item.pk, new_quantity=8)
    item.refresh_from_db()
    assert item.available_quantity == 0
    assert item.status == StockStatus.OUT_OF_STOCK
