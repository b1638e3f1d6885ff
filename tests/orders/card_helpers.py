"""Helpers for the card-order tests: pending card orders placed through the real checkout, and
a payment outcome announced the way the payment services announce it."""

from django.db import transaction
from django.utils import timezone

from orders.models import Order
from orders.services import order_place
from payments.models import Payment, PaymentMethodType, PaymentPurpose, PaymentStatus
from payments.signals import payment_captured, payment_failed


def place_by_card(user, variant, quantity: int = 1, **kwargs) -> Order:
    """An order placed by card through the real checkout: pending, its stock held."""
    return order_place(
        user=user, lines=[{"variant_id": variant.pk, "quantity": quantity}], payment_method="card", **kwargs
    ).order


def announce(order: Order, status: str, **fields) -> Payment:
    """A card payment of `order` reaching `status` (captured or failed), announced as the payment
    services do: in one transaction, the order row locked first, then the payment, then the signal."""
    with transaction.atomic():
        Order.objects.select_for_update().filter(pk=order.pk).first()
        amount = order.total_amount
        payment = Payment.objects.create(
            order=order,
            user=order.customer,
            purpose=PaymentPurpose.ORDER,
            method=PaymentMethodType.CARD,
            amount=amount,
            currency=order.currency,
            status=status,
            captured_amount=amount if status == PaymentStatus.CAPTURED else 0,
            captured_at=timezone.now() if status == PaymentStatus.CAPTURED else None,
            **fields,
        )
        signal = payment_captured if status == PaymentStatus.CAPTURED else payment_failed
        signal.send(sender=Payment, payment=payment)
    return payment
