"""The one interface every payment processor implements.

A gateway call is network I/O that can take seconds or time out: the services never make one
while they hold a database row lock (they lock, decide, commit; call; then lock again to record
the answer). Every call carries an idempotency key, so repeating it after a timeout never moves
money twice: the processor answers the repeat with the first result.

Adding a processor: subclass `Gateway`, implement its methods, add `"code": "dotted.Class"` to
settings.PAYMENT_GATEWAYS, and create its `PaymentGateway` row in admin (keys, webhook secret).
"""

import enum
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from ..models import GatewayStatus, PaymentGateway
from ..secrets import secret_encrypt


class GatewayError(Exception):
    """The gateway refused the call itself (bad request, unknown reference): not a decline."""


class GatewayTimeoutError(GatewayError):
    """No answer in time: the call may or may not have happened. Repeat it with the same key."""


class WebhookSignatureError(Exception):
    """A webhook whose signature, timestamp or body does not check out: it changes nothing."""


class ResultStatus(enum.StrEnum):
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    ACTION_REQUIRED = "action_required"  # the customer must confirm (3-D Secure): see `action_url`
    DECLINED = "declined"
    VOIDED = "voided"
    REFUNDED = "refunded"
    PENDING = "pending"  # accepted; the outcome arrives by webhook


@dataclass(frozen=True)
class GatewayResult:
    status: ResultStatus
    transaction_id: str  # the processor's id of this call (unique: PaymentTransaction.transaction_id)
    reference: str = ""  # the processor's id of the payment (Payment.gateway_reference)
    code: str = ""  # the processor's response code ("card_declined")
    message: str = ""  # words a customer may read ("Your card was declined.")
    action_url: str = ""
    raw: dict[str, Any] = field(default_factory=dict)  # what else it said (never card data)

    @property
    def ok(self) -> bool:
        return self.status is not ResultStatus.DECLINED


@dataclass(frozen=True)
class WebhookMessage:
    """A webhook that passed `verify_webhook`: what the processor says happened."""

    event_id: str
    event_type: str  # payment.authorized, payment.captured, payment.failed, payment.voided, refund.succeeded, …
    reference: str  # the payment's gateway_reference (or the refund's, for refund events)
    occurred_at: float  # seconds since the epoch, as the processor says
    data: dict[str, Any]


@dataclass(frozen=True)
class CardDetails:
    """What a card token stands for, as the processor tells it: what a customer recognises the
    card by (never its number)."""

    brand: str
    last4: str
    exp_month: int | None
    exp_year: int | None


class Gateway:
    """A payment processor. Subclasses implement every method; amounts are Decimal in `currency`."""

    code: str = ""

    def __init__(self, record: PaymentGateway) -> None:
        self.record = record

    def authorize(
        self, *, token: str, amount: Decimal, currency: str, idempotency_key: str, return_url: str, metadata: dict
    ) -> GatewayResult:
        raise NotImplementedError

    def capture(self, *, reference: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        raise NotImplementedError

    def void(self, *, reference: str, idempotency_key: str) -> GatewayResult:
        raise NotImplementedError

    def refund(self, *, reference: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        raise NotImplementedError

    def retrieve(self, *, reference: str) -> GatewayResult:
        """The payment's state at the processor now (the retry task's question after a timeout)."""
        raise NotImplementedError

    def verify_webhook(self, *, body: bytes, headers: dict[str, str]) -> WebhookMessage:
        """Check the signature and timestamp and parse the body. Raises WebhookSignatureError."""
        raise NotImplementedError

    # --- saving a card (a card gateway's; the wallet has none) -----------------------------------

    def card_details(self, *, token: str) -> CardDetails:
        """What a card token of this processor stands for (its "retrieve card"). Raises GatewayError."""
        raise NotImplementedError

    def card_form_url(self, *, return_url: str) -> str:
        """The processor's page where the customer types a card: it sends them back to `return_url`
        (a path of the shop) with `token=<the card's token>` added to its query."""
        raise NotImplementedError


def gateway_record(code: str) -> PaymentGateway:
    """The gateway's row, created on first use (sandbox and wallet need no set-up in development)."""
    record = PaymentGateway.objects.filter(code=code).first()
    if record is None:
        if code not in settings.PAYMENT_GATEWAYS:
            raise GatewayError(f"no gateway {code!r} in settings.PAYMENT_GATEWAYS")
        defaults: dict[str, Any] = {
            "name": code.replace("_", " ").title(),
            "status": GatewayStatus.TESTING if code == "sandbox" else GatewayStatus.ACTIVE,
            "supported_currencies": [settings.SHOP_CURRENCY],
            "supported_methods": ["card"] if code != "wallet" else ["wallet"],
        }
        if code == "sandbox":
            defaults["webhook_secret_encrypted"] = secret_encrypt(settings.SANDBOX_WEBHOOK_SECRET)
        record, _created = PaymentGateway.objects.get_or_create(code=code, defaults=defaults)
    return record


@cache
def _gateway_class(code: str) -> type[Gateway]:
    return import_string(settings.PAYMENT_GATEWAYS[code])


def gateway_for(code: str) -> Gateway:
    """The gateway `code` (a key of settings.PAYMENT_GATEWAYS), bound to its row. Raises GatewayError."""
    if code not in settings.PAYMENT_GATEWAYS:
        raise GatewayError(f"no gateway {code!r} in settings.PAYMENT_GATEWAYS")
    return _gateway_class(code)(gateway_record(code))
