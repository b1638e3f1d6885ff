"""Card payment helpers for the tests: saved sandbox cards, card payments, signed webhooks."""

import datetime as dt
import json
import time
import uuid
from decimal import Decimal

from django.db import transaction

from payments.gateways import gateway_for, gateway_record
from payments.gateways.sandbox import sandbox_tokenize, sign
from payments.models import Payment, PaymentMethod, PaymentPurpose
from payments.secrets import secret_decrypt
from payments.services.card import card_payment_create

from .helpers import order_for

# The sandbox's documented test cards (payments/gateways/sandbox.py).
OK = "4242424242424242"
DECLINED = "4000000000000002"
NO_FUNDS = "4000000000009995"
THREE_DS = "4000002760003184"
AUTH_TIMEOUT = "4000000000000119"
CAPTURE_TIMEOUT = "4000000000000341"
ALL_TEST_NUMBERS = (OK, DECLINED, NO_FUNDS, THREE_DS, AUTH_TIMEOUT, CAPTURE_TIMEOUT, "5555555555554444")

RETURN_URL = "/orders/1/payment/return/"


def far_future_year() -> int:
    return dt.date.today().year + 5


def saved_card(user, number: str = OK, **fields) -> PaymentMethod:
    """A saved sandbox card of `user` (as the methods service would make it)."""
    card = sandbox_tokenize(number=number, exp_month=12, exp_year=far_future_year(), cvc="123")
    defaults = {
        "user": user,
        "gateway": gateway_record("sandbox"),
        "token": card.token,
        "brand": card.brand,
        "last4": card.last4,
        "exp_month": card.exp_month,
        "exp_year": card.exp_year,
    }
    return PaymentMethod.objects.create(**{**defaults, **fields})


def card_payment(user, number: str = OK, amount: str = "50.00", **kwargs) -> Payment:
    """A pending card payment of a new order of `user`."""
    order = order_for(user, amount)
    with transaction.atomic():
        return card_payment_create(
            user=user,
            amount=Decimal(amount),
            purpose=PaymentPurpose.ORDER,
            payment_method=saved_card(user, number),
            order_id=order.pk,
            **kwargs,
        )


def sandbox_event(event_type: str, reference: str, **data) -> bytes:
    body = {
        "id": f"evt_{uuid.uuid4().hex}",
        "type": event_type,
        "created": time.time(),
        "data": {"reference": reference, **data},
    }
    return json.dumps(body).encode()


def signed(body: bytes, *, timestamp: int | None = None, secret: str | None = None) -> dict[str, str]:
    secret = secret if secret is not None else secret_decrypt(gateway_record("sandbox").webhook_secret_encrypted)
    return {"Sandbox-Signature": sign(body, secret, int(timestamp if timestamp is not None else time.time()))}


def sandbox():
    return gateway_for("sandbox")
