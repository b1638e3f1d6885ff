"""Reservations under real concurrency: threads with their own PostgreSQL connections, released
together. Holds never exceed the stock, and an order's held stock is sold or given back once,
whatever runs at the same time."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from inventory.exceptions import InsufficientStockError
from inventory.models import ChangeType, InventoryHistory, InventoryItem, ReservationStatus, StockReservation
from inventory.reservations import reservations_convert, reservations_release, stock_reserve
from inventory.services import StockRequest
from tests.factories.commerce import VariantFactory
from tests.orders.test_concurrency import assert_no_unexpected_errors, errors_of, race

from .test_reservations import LATER, bare_order

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def _hold(order, items):
    with transaction.atomic():
        return stock_reserve(
            requests=[StockRequest(variant_id=i.variant_id, quantity=i.quantity, order_item_id=i.pk) for i in items],
            order_id=order.pk,
            expires_at=timezone.now() + LATER,
        )


def test_30_orders_for_10_units_hold_exactly_10():
    variant = VariantFactory(price=Decimal("5.00"), stock=10)
    orders = [bare_order((variant, 1)) for _ in range(30)]

    outcomes = race([lambda order=order, items=items: _hold(order, items) for order, items in orders], workers=15)

    assert_no_unexpected_errors(outcomes, InsufficientStockError)
    assert len(errors_of(outcomes)) == 20
    item = InventoryItem.objects.get(variant=variant)
    assert (item.quantity, item.reserved_quantity, item.available_quantity) == (10, 10, 0)
    assert StockReservation.objects.filter(status=ReservationStatus.HELD).count() == 10


def test_opposite_line_orders_hold_without_deadlock():
    a = VariantFactory(price=Decimal("1.00"), stock=500)
    b = VariantFactory(price=Decimal("1.00"), stock=500)
    orders = [bare_order((a, 1), (b, 2)) if n % 2 else bare_order((b, 2), (a, 1)) for n in range(40)]

    outcomes = race([lambda order=order, items=items: _hold(order, items) for order, items in orders], workers=15)

    assert_no_unexpected_errors(outcomes)
    assert InventoryItem.objects.get(variant=a).reserved_quantity == 40
    assert InventoryItem.objects.get(variant=b).reserved_quantity == 80


def _convert(order):
    with transaction.atomic():
        return ("converted", len(reservations_convert(order_id=order.pk)))


def _release(order):
    with transaction.atomic():
        return ("released", len(reservations_release(order_id=order.pk)))


def test_converting_and_releasing_one_order_at_once_moves_its_stock_once():
    variant = VariantFactory(price=Decimal("5.00"), stock=10)
    other = VariantFactory(price=Decimal("5.00"), stock=10)
    order, items = bare_order((variant, 3), (other, 2))
    _hold(order, items)

    outcomes = race([lambda: _convert(order), lambda: _release(order)] * 5, workers=10)

    assert_no_unexpected_errors(outcomes)
    did = [outcome for outcome in outcomes if outcome[1]]
    assert len(did) == 1  # one call moved both reservations; the nine others found nothing held
    (what, moved) = did[0]
    assert moved == 2
    statuses = set(StockReservation.objects.values_list("status", flat=True))
    sales = InventoryHistory.objects.filter(change_type=ChangeType.SALE).count()
    first, second = InventoryItem.objects.get(variant=variant), InventoryItem.objects.get(variant=other)
    if what == "converted":
        assert statuses == {ReservationStatus.CONVERTED} and sales == 2
        assert (first.quantity, first.reserved_quantity, second.quantity, second.reserved_quantity) == (7, 0, 8, 0)
    else:
        assert statuses == {ReservationStatus.RELEASED} and sales == 0
        assert (first.quantity, first.reserved_quantity, second.quantity, second.reserved_quantity) == (10, 0, 10, 0)
