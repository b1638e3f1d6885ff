"""Card orders under real concurrency: the expiry in several workers at once releases each order
once, and an expiry racing the order's payment ends with exactly one outcome: paid with its
stock sold, or released with the payment given back."""

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from inventory.models import ChangeType, InventoryHistory, InventoryItem, ReservationStatus, StockReservation
from orders.models import Order, OrderHistory, OrderState
from orders.services import order_release_expired, orders_release_expired
from payments.models import Payment, PaymentStatus, Refund
from tests.factories.commerce import VariantFactory

from .card_helpers import announce, place_by_card
from .conftest import funded_user
from .test_concurrency import assert_no_unexpected_errors, race

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

LATER = dt.timedelta(minutes=settings.STOCK_RESERVATION_MINUTES, seconds=1)


def test_the_expiry_in_six_workers_at_once_releases_each_order_once():
    variant = VariantFactory(price=Decimal("5.00"), stock=20)
    orders = [place_by_card(funded_user(), variant, 2) for _ in range(5)]
    now = timezone.now() + LATER

    outcomes = race([lambda: orders_release_expired(now=now)] * 6, workers=6)

    assert_no_unexpected_errors(outcomes)
    assert sum(outcomes) == 5  # every order released by exactly one worker
    assert Order.objects.filter(pk__in=[o.pk for o in orders], status=OrderState.CANCELLED).count() == 5
    assert OrderHistory.objects.filter(new_value=OrderState.CANCELLED).count() == 5
    item = InventoryItem.objects.get(variant=variant)
    assert (item.quantity, item.reserved_quantity) == (20, 0)


def test_the_expiry_racing_a_late_payment_ends_with_one_outcome_per_order():
    variant = VariantFactory(price=Decimal("5.00"), stock=50)
    orders = [place_by_card(funded_user(), variant, 2) for _ in range(8)]
    now = timezone.now() + LATER
    calls = []
    for order in orders:
        calls += [
            lambda order=order: announce(order, PaymentStatus.CAPTURED),
            lambda order=order: order_release_expired(order_id=order.pk, now=now),
        ]

    outcomes = race(calls, workers=16)

    assert_no_unexpected_errors(outcomes)
    paid = released = 0
    for order in orders:
        order.refresh_from_db()
        payment = Payment.objects.get(order=order)
        reservation = StockReservation.objects.get(order=order)
        refunds = Refund.objects.filter(payment=payment)
        if order.status_id == OrderState.PAID:
            paid += 1
            assert reservation.status == ReservationStatus.CONVERTED
            assert InventoryHistory.objects.filter(order_item__order=order, change_type=ChangeType.SALE).count() == 1
            assert payment.status == PaymentStatus.CAPTURED and not refunds.exists()
        else:
            released += 1
            assert order.status_id == OrderState.CANCELLED
            assert reservation.status == ReservationStatus.RELEASED
            assert not InventoryHistory.objects.filter(order_item__order=order).exists()
            assert payment.status == PaymentStatus.REFUNDED and sum(r.amount for r in refunds) == payment.amount
    assert paid + released == len(orders)
    item = InventoryItem.objects.get(variant=variant)
    assert (item.quantity, item.reserved_quantity) == (50 - 2 * paid, 0)
