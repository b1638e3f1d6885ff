"""Paying a pending order by card (orders.services.order_pay) through the sandbox processor: a
capture pays it and sells its stock once, a decline leaves it to another card, the bank's
confirmation step pays it by webhook, and it cannot be paid twice, late, or by someone else."""

import datetime as dt

import pytest
from django.utils import timezone

from common.exceptions import IdempotencyKeyReuseError, NotFoundError
from inventory.models import ChangeType, InventoryHistory, ReservationStatus, StockReservation
from orders.exceptions import OrderNotAwaitingPaymentError, PaymentTimeOverError
from orders.models import Order, OrderState
from orders.services import order_pay, orders_release_expired
from payments.exceptions import CardExpiredError, PaymentMethodNotFoundError
from payments.models import (
    PaymentMethodStatus,
    PaymentStatus,
    PaymentTransaction,
    SandboxOperation,
    TransactionStatus,
)
from tests.payments.cards import DECLINED, NO_FUNDS, THREE_DS, sandbox, saved_card

from .card_helpers import place_by_card
from .conftest import place
from .test_card_orders import LATER, stock

pytestmark = pytest.mark.django_db

RETURN = "/orders/1/payment/return/"


def pay(user, order, card, **kwargs):
    return order_pay(user=user, order_id=order.pk, payment_method_id=card.pk, return_url=RETURN, **kwargs)


def authorizations() -> int:
    return SandboxOperation.objects.filter(operation="authorize").count()


def test_a_card_pays_the_order_and_its_stock_is_sold_once(customer, variant):
    order = place_by_card(customer, variant, 3)
    card = saved_card(customer)

    paid = pay(customer, order, card, ip_address="203.0.113.9")

    payment = paid.payment
    assert paid.created and payment.status == PaymentStatus.CAPTURED
    assert (payment.order_id, payment.user_id, payment.payment_method_id) == (order.pk, customer.pk, card.pk)
    assert payment.amount == payment.captured_amount == order.total_amount
    assert payment.client_ip == "203.0.113.9"
    order.refresh_from_db()
    assert order.status_id == OrderState.PAID and order.paid_at is not None
    assert stock(variant) == (7, 0, 7)
    assert InventoryHistory.objects.filter(change_type=ChangeType.SALE).count() == 1
    assert StockReservation.objects.get(order=order).status == ReservationStatus.CONVERTED
    assert list(PaymentTransaction.objects.filter(payment=payment).values_list("transaction_type", "status")) == [
        ("authorization", TransactionStatus.SUCCESS),
        ("capture", TransactionStatus.SUCCESS),
    ]
    assert authorizations() == 1


@pytest.mark.parametrize(("number", "reason"), [(DECLINED, "declined"), (NO_FUNDS, "insufficient funds")])
def test_a_declined_card_charges_nothing_and_another_card_may_pay(customer, variant, number, reason):
    order = place_by_card(customer, variant, 2)

    declined = pay(customer, order, saved_card(customer, number)).payment

    assert declined.status == PaymentStatus.FAILED and reason in declined.failure_message.lower()
    assert declined.captured_amount == 0
    order.refresh_from_db()
    assert order.status_id == OrderState.PENDING and stock(variant) == (10, 2, 8)

    good = pay(customer, order, saved_card(customer)).payment
    assert good.status == PaymentStatus.CAPTURED
    order.refresh_from_db()
    assert order.status_id == OrderState.PAID and stock(variant) == (8, 0, 8)


@pytest.mark.parametrize("approve", [True, False])
def test_the_banks_confirmation_step_pays_the_order_by_webhook(
    customer, variant, approve, django_capture_on_commit_callbacks
):
    order = place_by_card(customer, variant, 2)

    waiting = pay(customer, order, saved_card(customer, THREE_DS)).payment

    assert waiting.status == PaymentStatus.ACTION_REQUIRED and waiting.action_url
    order.refresh_from_db()
    assert order.status_id == OrderState.PENDING
    with django_capture_on_commit_callbacks(execute=True):  # the webhook, then the capture task
        back = sandbox().confirm(reference=waiting.gateway_reference, approve=approve)
    assert back == RETURN
    waiting.refresh_from_db()
    order.refresh_from_db()
    if approve:
        assert waiting.status == PaymentStatus.CAPTURED
        assert order.status_id == OrderState.PAID and stock(variant) == (8, 0, 8)
    else:
        assert waiting.status == PaymentStatus.FAILED
        assert order.status_id == OrderState.PENDING and stock(variant) == (10, 2, 8)


def test_the_same_key_answers_with_its_payment_and_charges_once(customer, variant):
    order = place_by_card(customer, variant)
    card = saved_card(customer)
    first = pay(customer, order, card, idempotency_key="pay-1")

    again = pay(customer, order, card, idempotency_key="pay-1")

    assert (again.created, again.payment.pk) == (False, first.payment.pk)
    assert authorizations() == 1
    with pytest.raises(IdempotencyKeyReuseError):
        pay(customer, order, saved_card(customer), idempotency_key="pay-1")


def test_a_payment_in_flight_answers_a_second_pay(customer, variant):
    order = place_by_card(customer, variant)
    waiting = pay(customer, order, saved_card(customer, THREE_DS)).payment

    again = pay(customer, order, saved_card(customer))

    assert (again.created, again.payment.pk) == (False, waiting.pk)
    assert authorizations() == 1


def test_a_paid_order_cannot_be_paid_again(customer, variant):
    order = place_by_card(customer, variant)
    pay(customer, order, saved_card(customer))
    wallet_order = place(customer, variant)

    for paid in (order, wallet_order):
        with pytest.raises(OrderNotAwaitingPaymentError):
            pay(customer, paid, saved_card(customer))
    assert authorizations() == 1


def test_an_order_past_its_time_cannot_be_paid(customer, variant):
    order = place_by_card(customer, variant)
    StockReservation.objects.filter(order=order).update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    with pytest.raises(PaymentTimeOverError):
        pay(customer, order, saved_card(customer))

    orders_release_expired()
    with pytest.raises(OrderNotAwaitingPaymentError):  # released: cancelled
        pay(customer, order, saved_card(customer))
    assert authorizations() == 0


def test_only_the_customers_own_order_and_cards(customer, other_customer, variant):
    mine = place_by_card(customer, variant)
    theirs = place_by_card(other_customer, variant)

    with pytest.raises(NotFoundError):
        pay(customer, theirs, saved_card(customer))
    with pytest.raises(PaymentMethodNotFoundError):
        pay(customer, mine, saved_card(other_customer))
    with pytest.raises(PaymentMethodNotFoundError):  # removed
        pay(customer, mine, saved_card(customer, status=PaymentMethodStatus.INACTIVE))
    with pytest.raises(CardExpiredError):
        pay(customer, mine, saved_card(customer, exp_year=2020))
    assert authorizations() == 0
    assert set(Order.objects.values_list("status", flat=True)) == {OrderState.PENDING}


def test_an_order_released_with_a_payment_in_flight_voids_it(customer, variant, django_capture_on_commit_callbacks):
    order = place_by_card(customer, variant, 2)
    waiting = pay(customer, order, saved_card(customer, THREE_DS)).payment

    with django_capture_on_commit_callbacks(execute=True):  # the void task
        assert orders_release_expired(now=timezone.now() + LATER) == 1

    waiting.refresh_from_db()
    order.refresh_from_db()
    assert waiting.status == PaymentStatus.VOIDED and waiting.captured_amount == 0
    assert order.status_id == OrderState.CANCELLED and stock(variant) == (10, 0, 10)
    assert SandboxOperation.objects.filter(operation="void").count() == 1
