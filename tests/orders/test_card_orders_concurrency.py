"""Card orders under real concurrency: the expiry in several workers at once releases each order
once, and an expiry racing the order's payment ends with exactly one outcome: paid with its
stock sold, or released with the payment given back."""

import datetime as dt
import time
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from inventory.models import ChangeType, InventoryHistory, InventoryItem, ReservationStatus, StockReservation
from orders.exceptions import OrderNotAwaitingPaymentError
from orders.models import Order, OrderHistory, OrderState
from orders.services import order_pay, order_release_expired, orders_release_expired
from payments.models import Payment, PaymentStatus, PaymentTransaction, Refund, SandboxOperation
from scorecard.invariants import all_violations
from tests.factories.commerce import VariantFactory
from tests.payments.cards import THREE_DS, sandbox, saved_card

from .card_helpers import charge, place_by_card
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
    assert all_violations() == []  # stock, money, coupons: the shop's invariants hold


def test_the_expiry_racing_a_late_payment_ends_with_one_outcome_per_order():
    """A card charged just as the order's time runs out (a payment already in flight)."""
    variant = VariantFactory(price=Decimal("5.00"), stock=50)
    orders = [place_by_card(funded_user(), variant, 2) for _ in range(8)]
    now = timezone.now() + LATER
    calls = []
    for order in orders:
        calls += [
            lambda order=order: charge(order),
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
            # Voided before it took the money, or taken and given back in full.
            assert (payment.status, payment.captured_amount) == (PaymentStatus.VOIDED, 0) or (
                payment.status == PaymentStatus.REFUNDED and sum(r.amount for r in refunds) == payment.amount
            ), payment.status
    assert paid + released == len(orders)
    item = InventoryItem.objects.get(variant=variant)
    assert (item.quantity, item.reserved_quantity) == (50 - 2 * paid, 0)
    assert all_violations() == []  # stock, money, coupons: the shop's invariants hold


# --- paying with order_pay; the bank's confirmation step -----------------------------------------


def test_a_pay_button_clicked_eight_times_at_once_charges_once():
    variant = VariantFactory(price=Decimal("5.00"), stock=10)
    customer = funded_user()
    order = place_by_card(customer, variant, 3)
    cards = [saved_card(customer) for _ in range(2)]
    # The same form sent again (one key), and a second tab (other keys, another card).
    calls = [
        lambda n=n: order_pay(
            user=customer,
            order_id=order.pk,
            payment_method_id=cards[n % 2].pk,
            return_url="/",
            idempotency_key="click" if n % 2 == 0 else f"tab-{n}",
        )
        for n in range(8)
    ]

    outcomes = race(calls, workers=8)

    assert_no_unexpected_errors(outcomes, OrderNotAwaitingPaymentError)
    payment = Payment.objects.get(order=order)  # one payment, whoever clicked
    assert payment.status == PaymentStatus.CAPTURED and payment.captured_amount == order.total_amount
    assert sum(1 for o in outcomes if not isinstance(o, Exception) and o.created) == 1
    assert all(o.payment.pk == payment.pk for o in outcomes if not isinstance(o, Exception))
    assert SandboxOperation.objects.filter(operation="authorize").count() == 1
    assert SandboxOperation.objects.filter(operation="capture").count() == 1
    assert PaymentTransaction.objects.filter(payment=payment, transaction_type="capture").count() == 1
    order.refresh_from_db()
    assert order.status_id == OrderState.PAID
    item = InventoryItem.objects.get(variant=variant)
    assert (item.quantity, item.reserved_quantity) == (7, 0)
    assert InventoryHistory.objects.filter(order_item__order=order, change_type=ChangeType.SALE).count() == 1
    assert all_violations() == []  # stock, money, coupons: the shop's invariants hold


def test_the_expiry_racing_the_banks_late_confirmation_ends_with_one_outcome():
    """The customer confirms at their bank just as the order's time runs out: the confirmation's
    webhook (authorized, then the capture) races the release. Either the order is paid with its
    stock sold, or it is released with the payment voided (or refunded, if captured first)."""
    variant = VariantFactory(price=Decimal("5.00"), stock=50)
    orders, payments = [], []
    for _ in range(6):
        customer = funded_user()
        order = place_by_card(customer, variant, 2)
        paid = order_pay(
            user=customer, order_id=order.pk, payment_method_id=saved_card(customer, THREE_DS).pk, return_url="/"
        )
        assert paid.payment.status == PaymentStatus.ACTION_REQUIRED
        orders.append(order)
        payments.append(paid.payment)
    now = timezone.now() + LATER

    def release_after(order, seconds: float) -> bool:
        time.sleep(seconds)  # staggered, so the release meets each confirmation at another step of it
        return order_release_expired(order_id=order.pk, now=now)

    calls = []
    for n, (order, payment) in enumerate(zip(orders, payments, strict=True)):
        calls += [
            lambda payment=payment: sandbox().confirm(reference=payment.gateway_reference, approve=True),
            lambda order=order, n=n: release_after(order, 0.15 * n),
        ]

    outcomes = race(calls, workers=12)

    assert_no_unexpected_errors(outcomes)
    paid = released = 0
    for order, payment in zip(orders, payments, strict=True):
        order.refresh_from_db()
        payment.refresh_from_db()
        sales = InventoryHistory.objects.filter(order_item__order=order, change_type=ChangeType.SALE).count()
        refunded = sum(r.amount for r in Refund.objects.filter(payment=payment))
        if order.status_id == OrderState.PAID:
            paid += 1
            assert payment.status == PaymentStatus.CAPTURED and refunded == 0 and sales == 1
            assert StockReservation.objects.get(order=order).status == ReservationStatus.CONVERTED
        else:
            released += 1
            assert order.status_id == OrderState.CANCELLED and sales == 0
            assert StockReservation.objects.get(order=order).status == ReservationStatus.RELEASED
            # Voided before the money was taken, or taken and given back in full.
            assert (payment.status, payment.captured_amount) == (PaymentStatus.VOIDED, 0) or (
                payment.status == PaymentStatus.REFUNDED and refunded == payment.captured_amount == payment.amount
            ), (payment.status, payment.captured_amount, refunded)
    item = InventoryItem.objects.get(variant=variant)
    assert (item.quantity, item.reserved_quantity) == (50 - 2 * paid, 0)
    assert paid + released == 6
    assert all_violations() == []  # stock, money, coupons: the shop's invariants hold
