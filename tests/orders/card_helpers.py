"""Helpers for the card-order tests: pending card orders placed through the real checkout, and
card payments of them through the sandbox processor."""

from django.db import transaction

from orders.models import Order
from orders.services import order_place
from payments.models import Payment, PaymentPurpose
from payments.services.card import card_payment_create, card_payment_run
from tests.payments.cards import OK, saved_card


def place_by_card(user, variant, quantity: int = 1, **kwargs) -> Order:
    """An order placed by card through the real checkout: pending, its stock held."""
    return order_place(
        user=user, lines=[{"variant_id": variant.pk, "quantity": quantity}], payment_method="card", **kwargs
    ).order


def charge(order: Order, number: str = OK) -> Payment:
    """A card payment of `order`'s total with a new saved sandbox card `number`, run as far as the
    processor takes it (captured, failed, waiting for confirmation). Made as the payment engine
    makes it (order row locked first) but without `order_pay`'s checks, so it can also stand for a
    payment that was already in flight when its order was released."""
    with transaction.atomic():
        Order.objects.select_for_update().filter(pk=order.pk).first()
        payment = card_payment_create(
            user=order.customer,
            amount=order.total_amount,
            purpose=PaymentPurpose.ORDER,
            payment_method=saved_card(order.customer, number),
            order_id=order.pk,
        )
    return card_payment_run(payment_id=payment.pk, return_url=f"/orders/{order.pk}/payment/return/")
