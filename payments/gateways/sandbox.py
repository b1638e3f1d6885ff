"""The sandbox card processor: behaves like a real one, with documented test cards.

It stands for the processor's side of the wire. It keeps its own ledger (`SandboxOperation`), so
a call repeated with the same idempotency key after a timeout gets the first answer and never
moves money twice; it confirms what happened asynchronously with signed webhooks
(`Sandbox-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, Stripe's scheme). An
event's `data.transaction` is the processor's id of the call it reports (the same id the call
answered with), so the shop records a call and its webhook once.

Cards are known by token only. `sandbox_tokenize` (the processor's card form and its token API)
turns a test number into `tok_<behaviour>_<brand>_<last4>_<mmyy>_<random>`; the number itself is
never stored or logged, here or in the shop.

Test cards (any future expiry, any 3-digit CVC):

    4242 4242 4242 4242  Visa        succeeds
    5555 5555 5555 4444  Mastercard  succeeds
    4000 0000 0000 0002  Visa        declined: card_declined
    4000 0000 0000 9995  Visa        declined: insufficient_funds
    4000 0000 0000 0069  Visa        declined: expired_card
    4000 0027 6000 3184  Visa        asks the customer to confirm (3-D Secure page), then succeeds
                                     if they approve, fails (authentication_failed) if they refuse
    4000 0000 0000 0119  Visa        the authorization times out (the processor did authorize:
                                     `retrieve` and the webhook say so)
    4000 0000 0000 0341  Visa        the first capture times out (the processor did capture: a
                                     retry with the same key answers "captured")

Any other number that passes the Luhn check succeeds as a card of its brand.
"""

import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..models import SandboxOperation
from ..secrets import secret_decrypt
from .base import (
    CardDetails,
    Gateway,
    GatewayError,
    GatewayResult,
    GatewayTimeoutError,
    ResultStatus,
    WebhookMessage,
    WebhookSignatureError,
)

SIGNATURE_HEADER = "Sandbox-Signature"

# number -> behaviour; the behaviour travels in the token.
TEST_CARDS: dict[str, str] = {
    "4242424242424242": "ok",
    "5555555555554444": "ok",
    "4000000000000002": "decline",
    "4000000000009995": "funds",
    "4000000000000069": "expired",
    "4000002760003184": "3ds",
    "4000000000000119": "authtimeout",
    "4000000000000341": "capturetimeout",
}
DECLINES: dict[str, tuple[str, Any]] = {
    "decline": ("card_declined", _("Your card was declined.")),
    "funds": ("insufficient_funds", _("Your card has insufficient funds.")),
    "expired": ("expired_card", _("Your card has expired.")),
}


class CardInvalidError(Exception):
    """A card the processor's form refuses (not a number, fails Luhn, expired): `message` says why."""

    def __init__(self, field: str, message: Any) -> None:
        super().__init__(str(message))
        self.field = field
        self.message = message


@dataclass(frozen=True)
class SandboxCard:
    """What the processor hands back for a card: its token and what a customer recognises it by."""

    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


def _luhn_ok(number: str) -> bool:
    total = 0
    for i, digit in enumerate(int(d) for d in reversed(number)):
        if i % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _brand(number: str) -> str:
    if number.startswith("4"):
        return "Visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or 2221 <= int(number[:4]) <= 2720:
        return "Mastercard"
    if number[:2] in {"34", "37"}:
        return "Amex"
    return "Card"


def sandbox_tokenize(
    *, number: str, exp_month: int, exp_year: int, cvc: str, today: dt.date | None = None
) -> SandboxCard:
    """The processor's tokenisation: a card number in, a token out. Raises CardInvalidError.

    `number` may hold spaces or dashes. Nothing here keeps or logs the number or the CVC.
    """
    digits = "".join(ch for ch in str(number) if ch not in " -")
    if not digits.isdigit() or not 13 <= len(digits) <= 19 or not _luhn_ok(digits):
        raise CardInvalidError("number", _("Enter a valid card number."))
    if not (str(cvc).isdigit() and len(str(cvc)) in (3, 4)):
        raise CardInvalidError("cvc", _("Enter the 3 or 4 digits on the back of the card."))
    if not 1 <= int(exp_month) <= 12:
        raise CardInvalidError("exp_month", _("Enter a month from 1 to 12."))
    year = int(exp_year)
    year = year + 2000 if year < 100 else year
    now = today or dt.date.today()
    if (year, int(exp_month)) < (now.year, now.month) or year > now.year + 20:
        raise CardInvalidError("exp_year", _("This card has expired."))
    behaviour = TEST_CARDS.get(digits, "ok")
    brand = _brand(digits)
    token = f"tok_{behaviour}_{brand.lower()}_{digits[-4:]}_{int(exp_month):02d}{year % 100:02d}_{secrets.token_hex(6)}"
    return SandboxCard(token=token, brand=brand, last4=digits[-4:], exp_month=int(exp_month), exp_year=year)


def sandbox_card_of(token: str) -> SandboxCard:
    """What a sandbox token stands for (the processor's "retrieve card"). Raises GatewayError."""
    parts = token.split("_")
    if len(parts) != 6 or parts[0] != "tok" or not parts[3].isdigit() or len(parts[4]) != 4:
        raise GatewayError("not a sandbox card token")
    brand = {"visa": "Visa", "mastercard": "Mastercard", "amex": "Amex"}.get(parts[2], "Card")
    return SandboxCard(
        token=token, brand=brand, last4=parts[3], exp_month=int(parts[4][:2]), exp_year=2000 + int(parts[4][2:])
    )


@dataclass(frozen=True)
class SandboxIntent:
    """What the confirmation page shows of a payment at the processor."""

    reference: str
    amount: Decimal
    currency: str
    state: str


def sandbox_intent_of(reference: str) -> SandboxIntent | None:
    """The processor's payment `reference`, or None when it has none by that reference."""
    intent = SandboxOperation.objects.filter(key=f"intent:{reference}").first()
    if intent is None:
        return None
    return SandboxIntent(
        reference=reference, amount=intent.amount, currency=str(intent.result.get("currency", "")), state=intent.state
    )


def _behaviour(token: str) -> str:
    sandbox_card_of(token)  # refuses anything else
    return token.split("_")[1]


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """The signature header's value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


class SandboxGateway(Gateway):
    code = "sandbox"

    # --- the processor's ledger ---------------------------------------------------------------

    def _intent(self, reference: str) -> SandboxOperation:
        intent = SandboxOperation.objects.filter(key=f"intent:{reference}").first()
        if intent is None:
            raise GatewayError("no such payment at the processor")
        return intent

    def _replay(self, key: str) -> GatewayResult | None:
        done = SandboxOperation.objects.filter(key=key).first()
        return _result(done.result) if done is not None else None

    def _record(
        self, key: str, operation: str, reference: str, amount: Decimal, result: GatewayResult
    ) -> GatewayResult:
        """Remember the answer for `key` (first writer wins: a concurrent twin gets the first answer)."""
        try:
            with transaction.atomic():
                SandboxOperation.objects.create(
                    key=key,
                    operation=operation,
                    reference=reference,
                    amount=amount,
                    state=result.status.value,
                    result=_as_json(result),
                )
        except IntegrityError:
            first = self._replay(key)
            assert first is not None
            return first
        return result

    def _set_state(self, intent: SandboxOperation, state: str, *, call: str = "", **extra: Any) -> None:
        """Move the intent to `state`; `call` is the processor's id of the call that did it
        (what `retrieve` answers with, so asking twice never looks like two calls)."""
        intent.state = state
        transactions = {**intent.result.get("transactions", {}), **({state: call} if call else {})}
        intent.result = {**intent.result, **extra, "state": state, "transactions": transactions}
        intent.save(update_fields=["state", "result"])

    # --- the interface ------------------------------------------------------------------------

    def authorize(
        self, *, token: str, amount: Decimal, currency: str, idempotency_key: str, return_url: str, metadata: dict
    ) -> GatewayResult:
        key = f"authorize:{idempotency_key}"
        if (earlier := self._replay(key)) is not None:
            return earlier
        behaviour = _behaviour(token)
        reference = f"pi_{uuid.uuid4().hex[:24]}"
        txn = f"sbx_{uuid.uuid4().hex}"
        if behaviour in DECLINES:
            code, message = DECLINES[behaviour]
            result = GatewayResult(ResultStatus.DECLINED, txn, reference, code, str(message))
            with transaction.atomic():
                first = self._record(key, "authorize", reference, amount, result)
                if first.transaction_id == txn:  # not a concurrent twin's answer
                    self._emit(
                        "payment.failed",
                        reference,
                        {"amount": str(amount), "code": code, "message": str(message), "transaction": txn},
                    )
            return first
        with transaction.atomic():
            if behaviour == "3ds":
                url = reverse("sandbox:confirm", args=[reference])
                result = GatewayResult(
                    ResultStatus.ACTION_REQUIRED,
                    txn,
                    reference,
                    "authentication_required",
                    "Confirm the payment with your bank.",
                    action_url=url,
                )
            else:
                result = GatewayResult(ResultStatus.AUTHORIZED, txn, reference, "approved", "Approved")
            # The key first: a concurrent call with the same key waits here for this one and gets
            # its answer, instead of opening a second authorization.
            first = self._record(key, "authorize", reference, amount, result)
            if first.transaction_id != txn:
                return first
            intent_state = "action_required" if behaviour == "3ds" else "authorized"
            SandboxOperation.objects.create(
                key=f"intent:{reference}",
                operation="intent",
                reference=reference,
                amount=amount,
                state=intent_state,
                result={
                    "state": intent_state,
                    "behaviour": behaviour,
                    "currency": currency,
                    "return_url": return_url,
                    "captured": "0",
                    "refunded": "0",
                    "transactions": {intent_state: txn},
                },
            )
            if behaviour != "3ds":
                self._emit("payment.authorized", reference, {"amount": str(amount), "transaction": txn})
        if behaviour == "authtimeout":
            raise GatewayTimeoutError("the processor did not answer in time")
        return result

    def capture(self, *, reference: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        key = f"capture:{idempotency_key}"
        if (earlier := self._replay(key)) is not None:
            return earlier
        with transaction.atomic():
            intent = SandboxOperation.objects.select_for_update().get(pk=self._intent(reference).pk)
            if (earlier := self._replay(key)) is not None:  # a concurrent twin got here first
                return earlier
            if intent.state != "authorized":
                raise GatewayError(f"cannot capture a payment that is {intent.state}")
            if amount > intent.amount:
                raise GatewayError("cannot capture more than was authorized")
            first_try = not intent.result.get("capture_tried")
            txn = f"sbx_{uuid.uuid4().hex}"
            self._set_state(intent, "captured", captured=str(amount), capture_tried=True, call=txn)
            result = GatewayResult(ResultStatus.CAPTURED, txn, reference, "captured", "Captured")
            result = self._record(key, "capture", reference, amount, result)
            self._emit("payment.captured", reference, {"amount": str(amount), "transaction": txn})
        if intent.result.get("behaviour") == "capturetimeout" and first_try:
            raise GatewayTimeoutError("the processor did not answer in time")
        return result

    def void(self, *, reference: str, idempotency_key: str) -> GatewayResult:
        key = f"void:{idempotency_key}"
        if (earlier := self._replay(key)) is not None:
            return earlier
        with transaction.atomic():
            intent = SandboxOperation.objects.select_for_update().get(pk=self._intent(reference).pk)
            if (earlier := self._replay(key)) is not None:  # a concurrent twin got here first
                return earlier
            if intent.state not in ("authorized", "action_required"):
                raise GatewayError(f"cannot void a payment that is {intent.state}")
            txn = f"sbx_{uuid.uuid4().hex}"
            self._set_state(intent, "voided", call=txn)
            result = GatewayResult(ResultStatus.VOIDED, txn, reference, "voided", "Voided")
            result = self._record(key, "void", reference, intent.amount, result)
            self._emit("payment.voided", reference, {"amount": str(intent.amount), "transaction": txn})
        return result

    def refund(self, *, reference: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        key = f"refund:{idempotency_key}"
        if (earlier := self._replay(key)) is not None:
            return earlier
        with transaction.atomic():
            intent = SandboxOperation.objects.select_for_update().get(pk=self._intent(reference).pk)
            if (earlier := self._replay(key)) is not None:  # a concurrent twin got here first
                return earlier
            captured, refunded = Decimal(intent.result["captured"]), Decimal(intent.result["refunded"])
            if intent.state not in ("captured", "refunded") or refunded + amount > captured:
                raise GatewayError("cannot refund more than was captured")
            self._set_state(
                intent, "captured" if refunded + amount < captured else "refunded", refunded=str(refunded + amount)
            )
            refund_id = f"re_{uuid.uuid4().hex[:24]}"
            result = GatewayResult(ResultStatus.REFUNDED, refund_id, reference, "refunded", "Refunded")
            result = self._record(key, "refund", reference, amount, result)
            self._emit("refund.succeeded", reference, {"amount": str(amount), "refund": refund_id})
        return result

    def retrieve(self, *, reference: str) -> GatewayResult:
        intent = self._intent(reference)
        status = {
            "authorized": ResultStatus.AUTHORIZED,
            "action_required": ResultStatus.ACTION_REQUIRED,
            "captured": ResultStatus.CAPTURED,
            "refunded": ResultStatus.CAPTURED,
            "voided": ResultStatus.VOIDED,
            "failed": ResultStatus.DECLINED,
        }[intent.state]
        # The id of the call that put the payment in this state: a retrieve is a question, not a
        # new operation, so recording its answer twice (or after the webhook) changes nothing.
        state = "captured" if intent.state == "refunded" else intent.state
        txn = intent.result.get("transactions", {}).get(state) or f"sbx_{reference}_{state}"
        raw = {k: v for k, v in intent.result.items() if k in ("amount", "captured", "refunded", "currency")}
        raw["amount"] = str(intent.amount)
        return GatewayResult(status, txn, reference, intent.state, intent.state, raw=raw)

    def card_details(self, *, token: str) -> CardDetails:
        card = sandbox_card_of(token)
        return CardDetails(brand=card.brand, last4=card.last4, exp_month=card.exp_month, exp_year=card.exp_year)

    def card_form_url(self, *, return_url: str) -> str:
        return f"{reverse('sandbox:card')}?{urlencode({'return': return_url})}"

    def verify_webhook(self, *, body: bytes, headers: dict[str, str]) -> WebhookMessage:
        secret = secret_decrypt(self.record.webhook_secret_encrypted)
        header = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER.lower()), "")
        parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
        if not secret or "t" not in parts or "v1" not in parts or not parts["t"].isdigit():
            raise WebhookSignatureError("missing or malformed signature")
        timestamp = int(parts["t"])
        if abs(time.time() - timestamp) > settings.PAYMENT_WEBHOOK_TOLERANCE_SECONDS:
            raise WebhookSignatureError("the webhook is too old (or from the future)")
        expected = sign(body, secret, timestamp).split("v1=", 1)[1]
        if not hmac.compare_digest(expected, parts["v1"]):
            raise WebhookSignatureError("the signature does not match")
        try:
            event = json.loads(body)
            return WebhookMessage(
                event_id=str(event["id"])[:64],
                event_type=str(event["type"])[:64],
                reference=str(event["data"]["reference"])[:64],
                occurred_at=float(event["created"]),
                data=dict(event["data"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookSignatureError("the body is not an event") from exc

    # --- the customer's confirmation step (3-D Secure) -----------------------------------------

    def confirm(self, *, reference: str, approve: bool) -> str:
        """The customer passed (or refused) the confirmation page: the payment is authorized (or
        failed), the shop hears it by webhook. Returns where to send the customer back to."""
        with transaction.atomic():
            intent = SandboxOperation.objects.select_for_update().get(pk=self._intent(reference).pk)
            if intent.state == "action_required":
                txn = f"sbx_{uuid.uuid4().hex}"
                if approve:
                    self._set_state(intent, "authorized", call=txn)
                    self._emit("payment.authorized", reference, {"amount": str(intent.amount), "transaction": txn})
                else:
                    self._set_state(intent, "failed", call=txn)
                    message = "The payment was not confirmed with your bank."
                    self._emit(
                        "payment.failed",
                        reference,
                        {
                            "amount": str(intent.amount),
                            "code": "authentication_failed",
                            "message": message,
                            "transaction": txn,
                        },
                    )
        return str(intent.result.get("return_url") or "/")

    # --- webhooks out ---------------------------------------------------------------------------

    def _emit(self, event_type: str, reference: str, data: dict[str, Any]) -> None:
        """Send a signed event to the shop after this transaction commits (like a real processor,
        which tells the shop asynchronously)."""
        event = {
            "id": f"evt_{uuid.uuid4().hex}",
            "type": event_type,
            "created": time.time(),
            "data": {"reference": reference, **data},
        }
        body = json.dumps(event).encode()
        from ..tasks import sandbox_webhook_deliver_task  # the tasks module imports the services

        transaction.on_commit(lambda: sandbox_webhook_deliver_task.delay(body.decode()), robust=True)

    def signed_headers(self, body: bytes) -> dict[str, str]:
        return {SIGNATURE_HEADER: sign(body, secret_decrypt(self.record.webhook_secret_encrypted), int(time.time()))}


def sandbox_return_url(url: str, **params: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}" if params else url


def _as_json(result: GatewayResult) -> dict[str, Any]:
    return {
        "status": result.status.value,
        "transaction_id": result.transaction_id,
        "reference": result.reference,
        "code": result.code,
        "message": result.message,
        "action_url": result.action_url,
        "raw": result.raw,
    }


def _result(data: dict[str, Any]) -> GatewayResult:
    return GatewayResult(
        ResultStatus(data["status"]),
        data["transaction_id"],
        data.get("reference", ""),
        data.get("code", ""),
        data.get("message", ""),
        data.get("action_url", ""),
        data.get("raw", {}),
    )
