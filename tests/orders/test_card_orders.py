"""Orders paid by card: placed pending with their stock held, paid when the payment is captured,
released (stock and coupon back) when the payment does not come in time."""

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from carts.models import Cart, CartStatus
from carts.services import cart_add_item
from common.exceptions import IdempotencyKeyReuseError
from inventory.exceptions import InsufficientStockError
from inventory.models import ChangeType, InventoryHistory, InventoryItem, ReservationStatus, StockReservation
from orders.exceptions import InvalidOrderError
from orders.models import (
    NotificationKind,
    Order,
    OrderHistory,
    OrderNotification,
    OrderSnapshot,
    OrderState,
    ProductSaleStat,
    SnapshotReason,
)
from orders.notifications import order_email_render
from orders.services import order_place, order_place_from_cart, orders_release_expired
from orders.tasks import order_reservations_expire_task
from payments.models import Payment, PaymentStatus, Refund, Wallet
from promotions.models import IssuedCoupon
from promotions.services import coupon_claim
from tests.factories.commerce import CouponFactory, VariantFactory
from tests.payments.cards import DECLINED

from .card_helpers import charge, place_by_card
from .conftest import funded_user, ledger_sum

pytestmark = pytest.mark.django_db

LATER = dt.timedelta(minutes=settings.STOCK_RESERVATION_MINUTES, seconds=1)


def stock(variant) -> tuple[int, int, int]:
    item = InventoryItem.objects.get(variant=variant)
    return item.quantity, item.reserved_quantity, item.available_quantity


def shown_available(variant) -> int:
    """What the catalogue API shows a shopper as available of the variant."""
    body = APIClient().get(reverse("catalog_api:product-detail", args=[variant.product_id])).json()
    return next(v["available_quantity"] for v in body["variants"] if v["id"] == variant.pk)


# --- placing ---------------------------------------------------------------------------------


def test_a_card_order_waits_for_its_payment_with_its_stock_held(customer, variant):
    assert shown_available(variant) == 10
    before = timezone.now()

    order = place_by_card(customer, variant, 3)

    order.refresh_from_db()
    assert order.status_id == OrderState.PENDING and order.paid_at is None
    assert order.order_number and order.total_amount > 0
    assert stock(variant) == (10, 3, 7)
    assert shown_available(variant) == 7  # the shop shows less available at once
    (reservation,) = StockReservation.objects.filter(order=order)
    assert reservation.status == ReservationStatus.HELD and reservation.quantity == 3
    deadline = reservation.expires_at - before
    assert dt.timedelta(minutes=settings.STOCK_RESERVATION_MINUTES) <= deadline < LATER + dt.timedelta(seconds=5)
    # No money moved, nothing sold yet: no payment, no debit, no sale, no confirmation.
    assert not Payment.objects.filter(order=order).exists()
    assert Wallet.objects.get(user=customer).balance == Decimal("500.00") == ledger_sum(customer)
    assert not InventoryHistory.objects.filter(change_type=ChangeType.SALE).exists()
    assert not ProductSaleStat.objects.exists()
    assert not OrderSnapshot.objects.filter(order=order).exists()
    assert not OrderNotification.objects.filter(order=order).exists()
    (created,) = OrderHistory.objects.filter(order=order)
    assert (created.change_type, created.new_value) == ("created", OrderState.PENDING)


def test_the_wallet_stays_the_default(customer, variant):
    order = order_place(user=customer, lines=[{"variant_id": variant.pk, "quantity": 1}]).order

    assert order.status_id == OrderState.PAID
    assert stock(variant) == (9, 0, 9)


def test_a_card_order_uses_its_coupon_at_once(customer, variant):
    issued = coupon_claim(coupon_id=CouponFactory(discount_value=Decimal("5.00")).pk, user=customer)

    order = place_by_card(customer, variant, coupon_ref=issued.pk)

    issued.refresh_from_db()
    assert issued.order_id == order.pk and issued.used_at is not None
    assert order.discount_amount == Decimal("5.00")


def test_not_enough_stock_places_nothing(customer, variant):
    with pytest.raises(InsufficientStockError):
        place_by_card(customer, variant, 11)

    assert not Order.objects.exists()
    assert stock(variant) == (10, 0, 10)


def test_held_stock_is_not_sold_to_a_wallet_order(customer, other_customer, variant):
    place_by_card(customer, variant, 8)

    with pytest.raises(InsufficientStockError):
        order_place(user=other_customer, lines=[{"variant_id": variant.pk, "quantity": 3}])

    assert stock(variant) == (10, 8, 2)


def test_an_unknown_payment_method_is_refused(customer, variant):
    with pytest.raises(InvalidOrderError):
        order_place(user=customer, lines=[{"variant_id": variant.pk, "quantity": 1}], payment_method="cheque")
    assert not Order.objects.exists()


def test_the_same_key_is_one_card_order_and_not_a_wallet_one(customer, variant):
    first = place_by_card(customer, variant, idempotency_key="card-1")

    line = [{"variant_id": variant.pk, "quantity": 1}]
    again = order_place(user=customer, lines=line, payment_method="card", idempotency_key="card-1")
    assert (again.created, again.order.pk) == (False, first.pk)
    with pytest.raises(IdempotencyKeyReuseError):
        order_place(user=customer, lines=line, idempotency_key="card-1")
    assert stock(variant) == (10, 1, 9)


def test_an_order_that_costs_nothing_is_paid_at_once(customer):
    free = VariantFactory(price=Decimal("5.00"), stock=3)
    issued = coupon_claim(coupon_id=CouponFactory(discount_value=Decimal("5.00")).pk, user=customer)

    order = place_by_card(customer, free, coupon_ref=issued.pk)

    assert order.total_amount == 0  # no shipping or tax rule in these tests
    assert order.status_id == OrderState.PAID
    assert stock(free) == (2, 0, 2)


def test_a_card_order_from_the_cart_closes_the_cart(customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=2)

    placed = order_place_from_cart(user=customer, idempotency_key="cart-card", payment_method="card")

    assert placed.order.status_id == OrderState.PENDING
    assert stock(variant) == (10, 2, 8)
    assert Cart.objects.get(customer=customer).status == CartStatus.COMPLETED


# --- paid --------------------------------------------------------------------------------------


def test_a_captured_payment_pays_the_order_and_sells_the_held_stock_once(customer, variant):
    order = place_by_card(customer, variant, 3)

    payment = charge(order)

    order.refresh_from_db()
    assert order.status_id == OrderState.PAID and order.paid_at is not None
    assert stock(variant) == (7, 0, 7)
    assert StockReservation.objects.get(order=order).status == ReservationStatus.CONVERTED
    (sale,) = InventoryHistory.objects.filter(change_type=ChangeType.SALE)
    assert (sale.quantity_delta, sale.order_item.order_id) == (-3, order.pk)
    assert list(ProductSaleStat.objects.values_list("quantity", flat=True)) == [3]
    assert OrderSnapshot.objects.filter(order=order, reason=SnapshotReason.CONFIRMATION).count() == 1
    (confirmation,) = OrderNotification.objects.filter(order=order, kind=NotificationKind.CONFIRMATION)
    rendered = order_email_render(confirmation)
    assert rendered is not None and "Total paid by card" in rendered.body and "wallet" not in rendered.body
    paid = OrderHistory.objects.filter(order=order, new_value=OrderState.PAID).get()
    assert (paid.previous_value, paid.reason) == (OrderState.PENDING, "Paid by card")
    assert Wallet.objects.get(user=customer).balance == Decimal("500.00")  # the card paid, not the wallet
    assert not Refund.objects.filter(payment=payment).exists()

    # A paid card order is an order like any other: the expiry leaves it alone.
    assert orders_release_expired(now=timezone.now() + LATER) == 0
    order.refresh_from_db()
    assert order.status_id == OrderState.PAID and stock(variant) == (7, 0, 7)


def test_a_declined_payment_leaves_the_order_pending_with_its_stock(customer, variant):
    order = place_by_card(customer, variant, 2)

    charge(order, DECLINED)

    order.refresh_from_db()
    assert order.status_id == OrderState.PENDING
    assert stock(variant) == (10, 2, 8)
    attempt = OrderHistory.objects.get(order=order, change_type="payment")
    assert (attempt.new_value, attempt.reason) == (PaymentStatus.FAILED, "Your card was declined.")
    # Another card may pay it while the stock is held.
    charge(order)
    order.refresh_from_db()
    assert order.status_id == OrderState.PAID and stock(variant) == (8, 0, 8)


def test_a_top_up_payment_is_no_order_business(customer):
    from payments.models import PaymentMethodType, PaymentPurpose
    from payments.signals import payment_captured

    payment = Payment.objects.create(
        user=customer,
        purpose=PaymentPurpose.WALLET_TOPUP,
        method=PaymentMethodType.CARD,
        amount=Decimal("10.00"),
        captured_amount=Decimal("10.00"),
        status=PaymentStatus.CAPTURED,
    )
    payment_captured.send(sender=Payment, payment=payment)  # nothing to do with orders: no error

    assert not OrderHistory.objects.exists()


# --- expiry ------------------------------------------------------------------------------------


def test_before_its_deadline_a_pending_order_keeps_its_stock(customer, variant):
    order = place_by_card(customer, variant, 2)

    assert orders_release_expired(now=timezone.now() + dt.timedelta(minutes=1)) == 0

    order.refresh_from_db()
    assert order.status_id == OrderState.PENDING and stock(variant) == (10, 2, 8)


def test_past_its_deadline_a_pending_order_is_released_once(customer, variant):
    issued = coupon_claim(coupon_id=CouponFactory(discount_value=Decimal("5.00")).pk, user=customer)
    order = place_by_card(customer, variant, 2, coupon_ref=issued.pk)
    untouched = place_by_card(funded_user(), variant, 1)
    StockReservation.objects.filter(order=untouched).update(expires_at=timezone.now() + 2 * LATER)

    assert orders_release_expired(now=timezone.now() + LATER) == 1

    order.refresh_from_db()
    assert order.status_id == OrderState.CANCELLED and order.cancelled_at is not None
    assert stock(variant) == (10, 1, 9)  # only the other order's unit is still held
    assert StockReservation.objects.get(order=order).status == ReservationStatus.RELEASED
    issued.refresh_from_db()
    assert issued.order_id is None and issued.used_at is None  # the coupon can be used again
    cancelled = OrderHistory.objects.get(order=order, new_value=OrderState.CANCELLED)
    assert (cancelled.previous_value, cancelled.reason, cancelled.actor_id) == (
        OrderState.PENDING,
        "Payment not received in time",
        None,
    )
    assert not InventoryHistory.objects.exists()  # nothing was ever sold
    assert Wallet.objects.get(user=customer).balance == Decimal("500.00") == ledger_sum(customer)

    assert orders_release_expired(now=timezone.now() + LATER) == 0  # twice: nothing more
    assert stock(variant) == (10, 1, 9)
    assert OrderHistory.objects.filter(order=order, new_value=OrderState.CANCELLED).count() == 1
    (told,) = OrderNotification.objects.filter(order=order)
    message = order_email_render(told)
    assert told.kind == NotificationKind.PAYMENT_EXPIRED and message is not None
    assert order.order_number in message.subject and "did not arrive in time" in message.subject
    assert "Nothing was charged" in message.body


def test_the_beat_task_releases_what_is_past_its_deadline(customer, variant):
    order = place_by_card(customer, variant, 2)
    StockReservation.objects.filter(order=order).update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    assert order_reservations_expire_task.delay().get() == 1

    order.refresh_from_db()
    assert order.status_id == OrderState.CANCELLED and stock(variant) == (10, 0, 10)
    assert "release-expired-reservations" in settings.CELERY_BEAT_SCHEDULE


def test_a_payment_captured_after_the_release_is_refunded_in_full(customer, variant):
    order = place_by_card(customer, variant, 2)
    orders_release_expired(now=timezone.now() + LATER)

    payment = charge(order)

    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status_id == OrderState.CANCELLED  # stays released: its stock may be sold already
    assert stock(variant) == (10, 0, 10)
    (refund,) = Refund.objects.filter(payment=payment)
    assert refund.amount == payment.amount == order.total_amount
    assert payment.refunded_amount == payment.amount and payment.status == PaymentStatus.REFUNDED
    assert OrderHistory.objects.filter(order=order, change_type="payment", new_value="refunded").count() == 1
    assert IssuedCoupon.objects.filter(order=order).count() == 0
