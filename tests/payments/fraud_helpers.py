"""Payments as the fraud rules see them, made directly (the rules read rows, not gateways)."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from payments.models import FraudRules, Payment, PaymentMethodType, PaymentPurpose, PaymentStatus
from payments.services.fraud import fraud_rules

CLIENT_IP = "203.0.113.7"


def payment_made(
    user,
    amount: str = "20.00",
    *,
    status: str = PaymentStatus.PENDING,
    client_ip: str | None = CLIENT_IP,
    method: str = PaymentMethodType.CARD,
    minutes_ago: int = 0,
) -> Payment:
    """A card top-up payment row (no order needed), `minutes_ago` old."""
    payment = Payment.objects.create(
        purpose=PaymentPurpose.WALLET_TOPUP,
        user=user,
        amount=Decimal(amount),
        status=status,
        client_ip=client_ip,
        method=method,
    )
    if minutes_ago:
        Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))
    return payment


def rules_set(**values) -> FraudRules:
    """The one rules row with known values (not the model's defaults, which staff may change),
    overridden by `values`."""
    rules = fraud_rules()
    known = {
        "review_threshold": Decimal("0.500"),
        "block_threshold": Decimal("0.800"),
        "velocity_window_minutes": 60,
        "customer_velocity_limit": 3,
        "address_velocity_limit": 4,
        "customer_velocity_weight": Decimal("0.400"),
        "address_velocity_weight": Decimal("0.350"),
        "unusual_amount_multiple": Decimal("5.00"),
        "unusual_amount_weight": Decimal("0.300"),
        "declines_limit": 2,
        "declines_weight": Decimal("0.450"),
        "country_mismatch_weight": Decimal("0.200"),
    }
    for name, value in {**known, **values}.items():
        setattr(rules, name, value)
    rules.save()
    return rules
