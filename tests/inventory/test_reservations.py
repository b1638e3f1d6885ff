"""Stock held for orders that wait for their payment (inventory.reservations).

Held units count as reserved (nobody else can buy them) until the order is paid (they are sold)
or released (they are back on sale); each reservation leaves `held` once.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from inventory.exceptions import InsufficientStockError
from inventory.models import ChangeType, InventoryHistory, InventoryItem, ReservationStatus, StockReservation, Warehouse
from inventory.reservations import reservations_convert, reservations_release, stock_reserve
from inventory.services import StockRequest, stock_restock, stock_take
from orders.models import Order, OrderItem, OrderState
from tests.factories.accounts import CustomerFactory
from tests.factories.commerce import VariantFactory

pytestmark = pytest.mark.django_db

LATER = dt.timedelta(minutes=15)


def bare_order(*lines: tuple[object, int]) -> tuple[Order, list[OrderItem]]:
    """A pending order with these (variant, quantity) lines and nothing held yet."""
    order = Order.objects.create(customer=CustomerFactory().user, status_id=OrderState.PENDING)
    items = [
        OrderItem.objects.create(
            order=order,
            product=variant.product,
            variant=variant,
            seller_id=variant.product.seller_id,
            product_title=variant.product.title,
            sku=variant.sku,
            quantity=quantity,
            unit_price=variant.price,
            total_price=variant.price * quantity,
        )
        for variant, quantity in lines
    ]
    return order, items


def hold(order: Order, items: list[OrderItem], expires_at=None) -> list[StockReservation]:
    with transaction.atomic():
        return stock_reserve(
            requests=[StockRequest(variant_id=i.variant_id, quantity=i.quantity, order_item_id=i.pk) for i in items],
            order_id=order.pk,
            expires_at=expires_at or timezone.now() + LATER,
        )


def counts(variant) -> list[tuple[int, int, int]]:
    """(quantity, reserved, available) of each of the variant's rows, in primary-key order."""
    return list(
        InventoryItem.objects.filter(variant=variant)
        .order_by("pk")
        .values_list("quantity", "reserved_quantity", "available_quantity")
    )


def convert(order: Order):
    with transaction.atomic():
        return reservations_convert(order_id=order.pk, actor=order.customer)


def release(order: Order):
    with transaction.atomic():
        return reservations_release(order_id=order.pk)


@pytest.fixture
def variant():
    return VariantFactory(price=Decimal("10.00"), stock=10)


def test_held_units_are_reserved_not_sold(variant):
    order, items = bare_order((variant, 4))
    deadline = timezone.now() + LATER

    (reservation,) = hold(order, items, expires_at=deadline)

    assert counts(variant) == [(10, 4, 6)]
    row = StockReservation.objects.get(pk=reservation.pk)
    assert (row.status, row.quantity, row.order_id, row.order_item_id, row.variant_id) == (
        ReservationStatus.HELD,
        4,
        order.pk,
        items[0].pk,
        variant.pk,
    )
    assert row.expires_at == deadline
    assert not InventoryHistory.objects.exists()  # nothing sold: the ledger has nothing yet


def test_held_units_cannot_be_bought_by_anyone_else(variant):
    order, items = bare_order((variant, 8))
    hold(order, items)

    with pytest.raises(InsufficientStockError) as caught, transaction.atomic():
        stock_take(requests=[StockRequest(variant_id=variant.pk, quantity=3)], reference="order:x")
    assert caught.value.extra == {"variant_id": variant.pk, "available": 2, "requested": 3}

    other, other_items = bare_order((variant, 3))
    with pytest.raises(InsufficientStockError):
        hold(other, other_items)
    assert counts(variant) == [(10, 8, 2)]


def test_a_refused_hold_holds_nothing_of_the_order(variant):
    plenty = VariantFactory(price=Decimal("1.00"), stock=50)
    order, items = bare_order((plenty, 5), (variant, 11))

    with pytest.raises(InsufficientStockError) as caught:
        hold(order, items)

    assert caught.value.extra["variant_id"] == variant.pk
    assert counts(plenty) == [(50, 0, 50)] and counts(variant) == [(10, 0, 10)]
    assert not StockReservation.objects.exists()


def test_a_variant_in_two_warehouses_is_held_from_the_first_row_first(variant):
    north = Warehouse.objects.create(code="north", name="North")
    stock_restock(variant_id=variant.pk, quantity=5, warehouse_id=north.pk)
    order, items = bare_order((variant, 12))

    reservations = hold(order, items)

    assert counts(variant) == [(10, 10, 0), (5, 2, 3)]
    assert sorted((r.quantity, r.order_item_id) for r in reservations) == [(2, items[0].pk), (10, items[0].pk)]


def test_converting_sells_the_held_units_once(variant):
    order, items = bare_order((variant, 4))
    hold(order, items)

    (sale,) = convert(order)

    assert counts(variant) == [(6, 0, 6)]
    row = InventoryHistory.objects.get(pk=sale.pk)
    assert (row.change_type, row.quantity_before, row.quantity_delta) == (ChangeType.SALE, 10, -4)
    assert (row.order_item_id, row.reference, row.actor_id) == (items[0].pk, f"order:{order.pk}", order.customer_id)
    assert StockReservation.objects.get().status == ReservationStatus.CONVERTED
    assert StockReservation.objects.get().closed_at is not None

    assert convert(order) == []  # again: nothing moves
    assert release(order) == []  # sold stock is not given back by a release
    assert counts(variant) == [(6, 0, 6)]
    assert InventoryHistory.objects.count() == 1


def test_converting_across_two_warehouses_writes_a_sale_per_row(variant):
    north = Warehouse.objects.create(code="north", name="North")
    stock_restock(variant_id=variant.pk, quantity=5, warehouse_id=north.pk)
    InventoryHistory.objects.all().delete()
    order, items = bare_order((variant, 12))
    hold(order, items)

    sales = convert(order)

    assert counts(variant) == [(0, 0, 0), (3, 0, 3)]
    assert sorted((s.quantity_before, s.quantity_after) for s in sales) == [(5, 3), (10, 0)]


def test_releasing_gives_the_units_back_once(variant):
    order, items = bare_order((variant, 4))
    hold(order, items)

    (released,) = release(order)

    assert counts(variant) == [(10, 0, 10)]
    assert StockReservation.objects.get(pk=released.pk).status == ReservationStatus.RELEASED
    assert release(order) == [] and convert(order) == []  # again, or sold after: nothing moves
    assert counts(variant) == [(10, 0, 10)]
    assert not InventoryHistory.objects.exists()


def test_a_count_cannot_go_below_what_is_held(variant):
    from inventory.exceptions import InvalidStockChangeError
    from inventory.services import stock_adjust

    order, items = bare_order((variant, 6))
    hold(order, items)

    with pytest.raises(InvalidStockChangeError):
        stock_adjust(inventory_item_id=InventoryItem.objects.get(variant=variant).pk, new_quantity=5)
