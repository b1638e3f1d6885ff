"""Card payments through a gateway: create, authorize, capture, void, retry, and THE one place a
gateway's answer or a webhook changes a payment (`payment_record`).

No gateway call is made while a row is locked or inside `transaction.atomic()`: lock, decide,
commit; call the gateway; lock again and record the answer. Every call carries a key derived from
the payment (`payment:<pk>:authorize|capture|void`), so repeating it after a timeout never moves
money twice: the processor answers a repeat with its first result.

States move up by rank only (pending < review = action_required < authorized < captured <
partially refunded < refunded); failed and voided are final and reachable only below captured.
So answers and webhooks arriving in any order, or twice, converge on one state, and a processor
transaction id is recorded once (`PaymentTransaction.transaction_id` is unique).
"""

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from common.idempotency import idempotency_key_clean, idempotent_replay
from common.money import ZERO, money

from ..exceptions import InvalidAmountError, PaymentMethodUnusableError, PaymentNotFoundError
from ..gateways import GatewayError, GatewayResult, GatewayTimeoutError, ResultStatus, gateway_for
from ..logs import payment_log
from ..models import (
    IN_FLIGHT_PAYMENT_STATES,
    LogLevel,
    Payment,
    PaymentMethod,
    PaymentMethodStatus,
    PaymentPurpose,
    PaymentStatus,
    PaymentTransaction,
    TransactionStatus,
    TransactionType,
)
from ..signals import payment_captured, payment_failed, payment_voided
from . import _lock_order_row

# --- the state rules ------------------------------------------------------------------------------

STATE_RANK: dict[str, int] = {
    PaymentStatus.PENDING: 0,
    PaymentStatus.REVIEW: 1,
    PaymentStatus.ACTION_REQUIRED: 1,
    PaymentStatus.AUTHORIZED: 2,
    PaymentStatus.CAPTURED: 3,
    PaymentStatus.PARTIALLY_REFUNDED: 4,
    PaymentStatus.REFUNDED: 5,
}
FINAL_STATES = frozenset({PaymentStatus.FAILED, PaymentStatus.VOIDED})

# What a gateway's answer (or a webhook's) asks the payment to become; None: no change of state.
RESULT_STATE: dict[ResultStatus, str | None] = {
    ResultStatus.AUTHORIZED: PaymentStatus.AUTHORIZED,
    ResultStatus.CAPTURED: PaymentStatus.CAPTURED,
    ResultStatus.ACTION_REQUIRED: PaymentStatus.ACTION_REQUIRED,
    ResultStatus.DECLINED: PaymentStatus.FAILED,
    ResultStatus.VOIDED: PaymentStatus.VOIDED,
    ResultStatus.PENDING: None,
    ResultStatus.REFUNDED: None,  # refunds change a payment through payments.services (the cap)
}
RESULT_TRANSACTION_STATUS: dict[ResultStatus, str] = {
    ResultStatus.DECLINED: TransactionStatus.FAILED,
    ResultStatus.ACTION_REQUIRED: TransactionStatus.PENDING,
    ResultStatus.PENDING: TransactionStatus.PENDING,
}

# A timed-out call is asked again after 30 s, 1 min, 2 min, … at most every 30 min.
RETRY_FIRST_DELAY = dt.timedelta(seconds=30)
RETRY_MAX_DELAY = dt.timedelta(minutes=30)
RETRY_BATCH = 100

# What a customer reads when the processor refused the call itself (not a decline of the card).
GENERIC_FAILURE = "We could not process this payment. Nothing was charged."


def payment_may_move(current: str, target: str) -> bool:
    """Whether a payment in `current` may become `target`: up by rank only; failed and voided are
    final and reachable only before the money is captured. The one statement of the rule."""
    if current == target or current in FINAL_STATES:
        return False
    if target in FINAL_STATES:
        return STATE_RANK[current] < STATE_RANK[PaymentStatus.CAPTURED]
    return STATE_RANK[target] > STATE_RANK[current]


def payment_key(payment_id: int, operation: str) -> str:
    """The idempotency key of a gateway call about a payment: the same call always has the same key."""
    return f"payment:{payment_id}:{operation}"


def payment_method_usable(method: PaymentMethod, *, user: User, today: dt.date | None = None) -> bool:
    """A saved method can pay when it is the user's, active, and not past its expiry month."""
    if method.user_id != user.pk or method.status != PaymentMethodStatus.ACTIVE:
        return False
    return not method.expired_on(today or timezone.localdate())  # the one expiry rule (models.py)


# --- create and run -----------------------------------------------------------------------------


def card_payment_create(
    *,
    user: User,
    amount: Decimal,
    purpose: str,
    payment_method: PaymentMethod,
    order_id: int | None = None,
    idempotency_key: str | None = None,
    fingerprint: str = "",
    client_ip: str | None = None,
    device_fingerprint: str = "",
    shipping_country: str = "",
) -> Payment:
    """A pending card payment, in the CALLER's transaction (for an order, the caller holds the order
    row). The same idempotency key with the same fingerprint returns the first payment.

    The fraud rules judge it before anything reaches the processor (`fraud.fraud_screen`): it
    comes back FAILED (blocked, with a neutral message), in REVIEW (held for staff), or pending.
    `device_fingerprint` and `shipping_country` (default: the order's) feed the rules.

    Raises PaymentMethodUnusableError (not the user's, removed, expired), InvalidAmountError,
    IdempotencyKeyReuseError.
    """
    key = idempotency_key_clean(idempotency_key)
    if key is not None:
        earlier = Payment.objects.filter(user=user, idempotency_key=key).first()
        if (replayed := idempotent_replay(earlier, fingerprint=fingerprint)) is not None:
            return replayed
    if not payment_method_usable(payment_method, user=user):
        raise PaymentMethodUnusableError()
    amount = money(amount)
    if amount <= ZERO:
        raise InvalidAmountError(_("A payment must be more than zero."))
    if purpose == PaymentPurpose.ORDER and order_id is None:
        raise InvalidAmountError(_("An order payment needs its order."))
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                order_id=order_id,
                purpose=purpose,
                user=user,
                method=payment_method.method_type,
                payment_method=payment_method,
                gateway_id=payment_method.gateway_id,
                amount=amount,
                currency=settings.SHOP_CURRENCY,
                status=PaymentStatus.PENDING,
                idempotency_key=key,
                request_fingerprint=fingerprint,
                client_ip=client_ip,
            )
    except IntegrityError:
        # The same key raced in from another request (a top-up has no order row to queue on).
        earlier = Payment.objects.filter(user=user, idempotency_key=key).first() if key else None
        if (replayed := idempotent_replay(earlier, fingerprint=fingerprint)) is not None:
            return replayed
        raise
    payment_log(
        "Card payment created",
        source=str(purpose),
        payment=payment,
        initiated_by=user,
        ip_address=client_ip,
        details={"amount": str(amount), "method": str(payment_method)},
    )
    from .fraud import fraud_screen  # here: fraud records a refusal through this module's payment_record

    return fraud_screen(payment=payment, device_fingerprint=device_fingerprint, shipping_country=shipping_country)


def card_payment_run(
    *, payment_id: int, return_url: str, ip_address: str | None = None, user_agent: str = ""
) -> Payment:
    """Take a card payment as far as the gateway lets it now, OUTSIDE any transaction.

    pending -> authorize: authorized -> capture; action_required -> the customer confirms (the
    webhook then says authorized and a task captures); declined -> failed with the reason; a
    timeout -> retried later by `payments_retry_due`. An authorized payment is captured. Any
    other state: nothing to do. Returns the payment as it is now.
    """
    payment = _payment(payment_id)
    if payment.status == PaymentStatus.PENDING:
        payment = _authorize(payment, return_url=return_url, ip_address=ip_address, user_agent=user_agent)
    if payment.status == PaymentStatus.AUTHORIZED:
        payment = payment_capture(payment_id=payment.pk)
    return payment


def _authorize(payment: Payment, *, return_url: str, ip_address: str | None = None, user_agent: str = "") -> Payment:
    key = payment_key(payment.pk, "authorize")
    payment_log(
        "Authorization requested",
        source="gateway",
        payment=payment,
        ip_address=ip_address,
        user_agent=user_agent,
        details={"amount": str(payment.amount), "idempotency_key": key},
    )
    assert payment.gateway is not None and payment.payment_method is not None, "a card payment has both"
    try:
        result = gateway_for(payment.gateway.code).authorize(
            token=payment.payment_method.token,
            amount=payment.amount,
            currency=payment.currency,
            idempotency_key=key,
            return_url=return_url,
            metadata={"payment_id": payment.pk, "order_id": payment.order_id},
        )
    except GatewayTimeoutError:
        return _retry_later(payment.pk, operation="authorization")
    except GatewayError as exc:
        # The processor refused the call itself (an unknown token): the card was not charged.
        payment_log(
            "The processor refused the authorization call",
            source="gateway",
            level=LogLevel.ERROR,
            payment=payment,
            details={"error": str(exc)},
        )
        refused = GatewayResult(
            ResultStatus.DECLINED, f"shop_{payment.pk}_authorize_refused", "", "gateway_error", GENERIC_FAILURE
        )
        return payment_record(payment_id=payment.pk, result=refused, transaction_type=TransactionType.AUTHORIZATION)
    return payment_record(payment_id=payment.pk, result=result, transaction_type=TransactionType.AUTHORIZATION)


# --- the one writer of a gateway's answer --------------------------------------------------------


def payment_record(
    *, payment_id: int, result: GatewayResult, transaction_type: str, source: str = "gateway"
) -> Payment:
    """Record what the gateway answered (or a webhook said) about a payment: THE place its state
    changes after it left the shop.

    Locks the order row (if any), then the payment. A transaction id recorded before is a repeat
    and changes nothing. Otherwise: the state moves if `payment_may_move` allows it (else it stays,
    and the answer is only recorded), a `PaymentTransaction` and a log row are written, and
    `payment_captured` / `payment_failed` / `payment_voided` is sent for a new such state.
    `source` ("gateway", "webhook") goes to the log; a payment a webhook made authorized is
    captured by `payment_capture_task` after commit.
    """
    from ..tasks import payment_capture_task, payment_hold_release_task

    with transaction.atomic():
        payment = _lock_payment(payment_id)
        if result.transaction_id and PaymentTransaction.objects.filter(transaction_id=result.transaction_id).exists():
            return payment  # recorded already (the call's answer and its webhook, or a replay)
        before = payment.status
        target = RESULT_STATE[result.status]
        moved = target is not None and payment_may_move(before, target)
        fields = {"updated_at"}
        if result.reference and not payment.gateway_reference:
            payment.gateway_reference = result.reference
            fields.add("gateway_reference")
        if moved:
            assert target is not None
            fields |= _move(payment, target, result)
        payment.save(update_fields=sorted(fields))
        PaymentTransaction.objects.create(
            payment=payment,
            transaction_id=result.transaction_id[:64],
            transaction_type=transaction_type,
            amount=_result_amount(result, payment),
            currency=payment.currency,
            status=RESULT_TRANSACTION_STATUS.get(result.status, TransactionStatus.SUCCESS),
            response_code=result.code[:32],
            response_message=result.message[:255],
        )
        late_hold = not moved and target == PaymentStatus.AUTHORIZED and before in FINAL_STATES
        _log_record(
            payment, before=before, target=target, moved=moved, result=result, source=source, late_hold=late_hold
        )
        if moved and payment.status == PaymentStatus.CAPTURED:
            payment_captured.send(sender=Payment, payment=payment)
        elif moved and payment.status == PaymentStatus.FAILED:
            payment_failed.send(sender=Payment, payment=payment)
        elif moved and payment.status == PaymentStatus.VOIDED:
            payment_voided.send(sender=Payment, payment=payment)
        if moved and payment.status == PaymentStatus.AUTHORIZED and source != "gateway":
            transaction.on_commit(lambda: payment_capture_task.delay(payment_id), robust=True)
        if late_hold:
            # The processor holds money for a payment the shop gave up on (voided or failed here
            # while the call was in flight): release the hold.
            transaction.on_commit(lambda: payment_hold_release_task.delay(payment_id), robust=True)
    return payment


def _move(payment: Payment, target: str, result: GatewayResult) -> set[str]:
    """Put the locked payment in `target` with what goes with it; the fields changed."""
    now = timezone.now()
    payment.status = target
    fields = {"status"}
    if target in (PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED) and payment.authorized_at is None:
        payment.authorized_at = now
        fields.add("authorized_at")
    if target == PaymentStatus.CAPTURED:
        payment.captured_amount = min(_result_amount(result, payment), payment.amount)
        payment.captured_at = now
        fields |= {"captured_amount", "captured_at"}
    if target == PaymentStatus.ACTION_REQUIRED:
        payment.action_url = result.action_url[:255]
    else:
        payment.action_url = ""  # the confirmation step is behind it (or never needed)
    fields.add("action_url")
    if target == PaymentStatus.FAILED:
        payment.failure_code = (result.code or "card_declined")[:32]
        payment.failure_message = (result.message or GENERIC_FAILURE)[:255]
        fields |= {"failure_code", "failure_message"}
    if target not in IN_FLIGHT_PAYMENT_STATES or target == PaymentStatus.ACTION_REQUIRED:
        payment.retry_after = None  # settled (or waiting for the customer): nothing to ask again
        fields.add("retry_after")
    return fields


def _log_record(
    payment: Payment,
    *,
    before: str,
    target: str | None,
    moved: bool,
    result: GatewayResult,
    source: str,
    late_hold: bool,
) -> None:
    details: dict[str, Any] = {
        "result": result.status.value,
        "transaction_id": result.transaction_id,
        "code": result.code,
        "from": before,
        "to": payment.status,
    }
    if moved:
        message, level = f"Payment {before} -> {payment.status} ({result.code or result.status.value})", LogLevel.INFO
    elif late_hold:
        message, level = f"The processor authorized a payment that is {before} here: releasing the hold", LogLevel.ERROR
    elif target is not None and target != before:
        message = f"Answer '{result.status.value}' recorded; the payment stays {before}"
        level = LogLevel.WARNING
    else:
        message, level = f"Answer '{result.status.value}' recorded", LogLevel.INFO
    payment_log(message, source=source, level=level, payment=payment, details=details)


def _result_amount(result: GatewayResult, payment: Payment) -> Decimal:
    """The amount an answer speaks of (a webhook says it), else the payment's."""
    raw = result.raw.get("amount") if isinstance(result.raw, dict) else None
    try:
        amount = money(Decimal(str(raw))) if raw not in (None, "") else payment.amount
    except (InvalidOperation, ValueError):
        amount = payment.amount
    return amount if ZERO <= amount <= payment.amount else payment.amount


# --- capture, void, retry ---------------------------------------------------------------------------


def payment_capture(*, payment_id: int) -> Payment:
    """Capture an authorized payment (key payment:<pk>:capture), OUTSIDE any transaction. Any other
    state: nothing to do. A timeout is retried by `payments_retry_due`; a refusal (the processor
    says the payment is no longer capturable) is settled by asking the processor what it is."""
    payment = _payment(payment_id)
    if payment.status != PaymentStatus.AUTHORIZED or not payment.gateway_reference or payment.gateway is None:
        return payment
    gateway = gateway_for(payment.gateway.code)
    try:
        result = gateway.capture(
            reference=payment.gateway_reference,
            amount=payment.amount,
            idempotency_key=payment_key(payment.pk, "capture"),
        )
    except GatewayTimeoutError:
        return _retry_later(payment.pk, operation="capture")
    except GatewayError as exc:
        return _settle_by_retrieve(payment, why=f"capture refused: {exc}")
    return payment_record(payment_id=payment.pk, result=result, transaction_type=TransactionType.CAPTURE)


def payment_void(*, payment_id: int, reason: str, actor: User | None = None) -> Payment:
    """Cancel a payment that has not taken the money (pending, review, action_required,
    authorized), OUTSIDE any transaction: at the processor when it knows the payment (key
    payment:<pk>:void), else here. A captured payment is left as it is: the caller refunds it.

    Raises GatewayTimeoutError when the processor did not answer (the caller retries: the same key
    voids once).
    """
    payment = _payment(payment_id)
    if payment.status not in IN_FLIGHT_PAYMENT_STATES:
        return payment
    payment_log(
        f"Void requested: {reason}", source="gateway", payment=payment, initiated_by=actor, details={"reason": reason}
    )
    if not payment.gateway_reference and payment.attempts and payment.status == PaymentStatus.PENDING:
        # Its authorization timed out: the processor may hold money under a reference the shop has
        # not heard yet. Ask again (same key: the first answer) to learn it.
        payment = _authorize(payment, return_url="")
        if payment.status not in IN_FLIGHT_PAYMENT_STATES:
            return payment
    if not payment.gateway_reference or payment.gateway is None:
        # The processor never saw it: nothing to cancel there.
        voided = GatewayResult(ResultStatus.VOIDED, f"shop_{payment.pk}_void", "", "voided", "Voided before any charge")
        return payment_record(payment_id=payment.pk, result=voided, transaction_type=TransactionType.VOID)
    try:
        result = gateway_for(payment.gateway.code).void(
            reference=payment.gateway_reference, idempotency_key=payment_key(payment.pk, "void")
        )
    except GatewayTimeoutError:
        payment_log(
            "The processor did not answer the void in time", source="gateway", level=LogLevel.WARNING, payment=payment
        )
        raise
    except GatewayError as exc:
        # Captured meanwhile (or already voided): record what the processor says it is.
        return _settle_by_retrieve(payment, why=f"void refused: {exc}")
    return payment_record(payment_id=payment.pk, result=result, transaction_type=TransactionType.VOID)


def payment_hold_release(*, payment_id: int) -> None:
    """Void at the processor an authorization that arrived for a payment the shop had already
    voided or failed (the answer was in flight). The same key as any void: it happens once."""
    payment = _payment(payment_id)
    if payment.status not in FINAL_STATES or not payment.gateway_reference or payment.gateway is None:
        return
    try:
        result = gateway_for(payment.gateway.code).void(
            reference=payment.gateway_reference, idempotency_key=payment_key(payment.pk, "void")
        )
    except GatewayTimeoutError:
        raise
    except GatewayError as exc:
        payment_log(
            "The processor would not release the hold",
            source="gateway",
            level=LogLevel.ERROR,
            payment=payment,
            details={"error": str(exc)},
        )
        return
    payment_record(payment_id=payment.pk, result=result, transaction_type=TransactionType.VOID)


def payments_retry_due(now: dt.datetime | None = None) -> int:
    """Ask the processor again about every payment whose call timed out and whose retry time has
    come (`retry_after <= now`), with the same keys: an authorization or a capture that did happen
    is answered with its first result and lands once. Safe in several workers at once (each
    payment is claimed by one). Returns how many payments were retried."""
    now = now or timezone.now()
    due = list(
        Payment.objects.filter(retry_after__lte=now).order_by("retry_after").values_list("pk", flat=True)[:RETRY_BATCH]
    )
    retried = 0
    for payment_id in due:
        # Claim it: of two workers, one clears retry_after and retries; the other moves on.
        if not Payment.objects.filter(pk=payment_id, retry_after__lte=now).update(retry_after=None):
            continue
        retried += 1
        _retry(payment_id)
    return retried


def _retry(payment_id: int) -> Payment:
    payment = _payment(payment_id)
    payment_log(
        f"Retrying the {payment.status} payment (attempt {payment.attempts + 1})", source="retry", payment=payment
    )
    if payment.status in (PaymentStatus.PENDING, PaymentStatus.ACTION_REQUIRED) and payment.gateway_reference:
        payment = _settle_by_retrieve(payment, why="retry")
    elif payment.status == PaymentStatus.PENDING:
        # The authorization timed out before the shop learnt its reference: the same call again
        # is answered with the processor's first result.
        payment = _authorize(payment, return_url="")
    if payment.status == PaymentStatus.AUTHORIZED:
        payment = payment_capture(payment_id=payment.pk)
    return payment


def _settle_by_retrieve(payment: Payment, *, why: str) -> Payment:
    """Record the processor's own view of a payment (after a refused or timed-out call)."""
    assert payment.gateway is not None
    try:
        result = gateway_for(payment.gateway.code).retrieve(reference=payment.gateway_reference or "")
    except GatewayTimeoutError:
        return _retry_later(payment.pk, operation="status check")
    except GatewayError as exc:
        payment_log(
            f"The processor does not know the payment ({why})",
            source="gateway",
            level=LogLevel.ERROR,
            payment=payment,
            details={"error": str(exc)},
        )
        return _payment(payment.pk)
    kind = {
        ResultStatus.CAPTURED: TransactionType.CAPTURE,
        ResultStatus.VOIDED: TransactionType.VOID,
    }.get(result.status, TransactionType.AUTHORIZATION)
    return payment_record(payment_id=payment.pk, result=result, transaction_type=kind)


def _retry_later(payment_id: int, *, operation: str) -> Payment:
    """A call timed out: ask again later (backoff by attempts), unless the payment settled meanwhile
    (a webhook may have said what happened before the timeout was known)."""
    with transaction.atomic():
        payment = _lock_payment(payment_id)
        if payment.status not in IN_FLIGHT_PAYMENT_STATES:
            return payment
        payment.attempts = min(payment.attempts + 1, 32767)
        delay = min(RETRY_FIRST_DELAY * 2 ** min(payment.attempts - 1, 16), RETRY_MAX_DELAY)
        payment.retry_after = timezone.now() + delay
        payment.save(update_fields=["attempts", "retry_after", "updated_at"])
        payment_log(
            f"The processor did not answer the {operation} in time; asking again later",
            source="gateway",
            level=LogLevel.WARNING,
            payment=payment,
            details={"attempts": payment.attempts, "retry_after": payment.retry_after.isoformat()},
        )
    return payment


# --- rows ----------------------------------------------------------------------------------------------


def _payment(payment_id: int) -> Payment:
    payment = Payment.objects.select_related("gateway", "payment_method").filter(pk=payment_id).first()
    if payment is None:
        raise PaymentNotFoundError()
    return payment


def _lock_payment(payment_id: int) -> Payment:
    """The payment row locked, after its order's row (the shop's lock order). In a transaction."""
    order_id = Payment.objects.filter(pk=payment_id).values_list("order_id", flat=True).first()
    if order_id is None and not Payment.objects.filter(pk=payment_id).exists():
        raise PaymentNotFoundError()
    if order_id is not None:
        _lock_order_row(order_id)
    return (
        Payment.objects.select_for_update(of=("self",)).select_related("gateway", "payment_method").get(pk=payment_id)
    )
