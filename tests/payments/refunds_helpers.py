"""Card payments for the refund tests, captured at the sandbox processor for real.

The card engine (`payments.services.card`) is built alongside; these helpers make the payment row
the way it records a captured card payment: authorized and captured at the sandbox (so the
processor's ledger holds the money a refund gives back), then a captured `Payment` pointing at
the processor's reference.
"""

import datetime as dt
import uuid
from decimal import Decimal

from django.utils import timezone

from orders.models import Order
from payments.gateways import gateway_for, gateway_record
from payments.gateways.sandbox import sandbox_tokenize
from payments.models import Payment, PaymentMethodType, PaymentPurpose, PaymentStatus, SandboxOperation
from payments.services import wallet_charge

# A fixed "today" for the processor's expiry check: no test depends on the clock's date.
TODAY = dt.date(2030, 1, 15)
VISA_OK = "4242424242424242"


def sandbox_capture(amount: Decimal, *, number: str = VISA_OK) -> str:
    """Authorize and capture `amount` at the sandbox; the processor's reference of the payment."""
    gateway = gateway_for("sandbox")
    card = sandbox_tokenize(number=number, exp_month=12, exp_year=2031, cvc="123", today=TODAY)
    key = uuid.uuid4().hex
    authorized = gateway.authorize(
        token=card.token,
        amount=amount,
        currency="USD",
        idempotency_key=f"test:{key}:authorize",
        return_url="/",
        metadata={},
    )
    gateway.capture(reference=authorized.reference, amount=amount, idempotency_key=f"test:{key}:capture")
    return authorized.reference


def card_payment(order: Order, amount: Decimal | None = None) -> Payment:
    """A card payment of `order` (its total by default), captured at the sandbox."""
    amount = order.total_amount if amount is None else Decimal(amount)
    return Payment.objects.create(
        order=order,
        purpose=PaymentPurpose.ORDER,
        user=order.customer,
        method=PaymentMethodType.CARD,
        gateway=gateway_record("sandbox"),
        gateway_reference=sandbox_capture(amount),
        amount=amount,
        captured_amount=amount,
        captured_at=timezone.now(),
        currency=order.currency,
        status=PaymentStatus.CAPTURED,
    )


def pay_by_card_instead(order: Order) -> Payment:
    """Turn an order checkout paid from the wallet into one paid by card: its payment becomes a
    captured sandbox card payment and the wallet gets the debit back (a top-up in its ledger), so
    the wallet shows only what refunds bring to it. (Until checkout pays by card itself.)"""
    payment = order.payments.get()
    payment.method = PaymentMethodType.CARD
    payment.gateway = gateway_record("sandbox")
    payment.gateway_reference = sandbox_capture(payment.amount)
    payment.captured_amount = payment.amount
    payment.save()
    wallet_charge(user=order.customer, amount=payment.amount, reference="test: paid by card instead")
    return payment


def processor_refunded(payment: Payment) -> Decimal:
    """What the sandbox processor says it gave back of the payment."""
    intent = SandboxOperation.objects.get(key=f"intent:{payment.gateway_reference}")
    return Decimal(intent.result["refunded"])


def processor_refund_calls(payment: Payment) -> int:
    """How many refunds the processor made of the payment (a repeated key is not a new one)."""
    return SandboxOperation.objects.filter(reference=payment.gateway_reference, operation="refund").count()
