"""Fraud checks: the rules' verdict on a card payment before it is authorized, and staff review.

`fraud_assess` scores a payment with five rules whose weights and thresholds staff edit in admin
(`FraudRules`, one row): the sum of the weights of the rules that fired, at most 1, is the score;
at or above the block threshold the payment is refused, at or above the review threshold it waits
for staff (`fraud_review_clear` / `fraud_review_block`), below it goes on to the gateway.

The customer is never told which rule fired, or that a fraud rule did anything: a blocked payment
fails with `BLOCKED_MESSAGE`, the one neutral sentence, and a held one is "being reviewed".

Velocity figures are read without locks: two payments started in the same instant may both be
counted below a limit. The rules are a screen for staff, not an invariant; the limits are set with
that slack.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Avg
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from common.exceptions import InvalidTransitionError, NotFoundError

from ..gateways import GatewayResult, ResultStatus
from ..logs import payment_log
from ..models import (
    FraudCheck,
    FraudRules,
    FraudStatus,
    LogLevel,
    Payment,
    PaymentMethodType,
    PaymentStatus,
    TransactionType,
)
from ..tasks import fraud_cleared_payment_run_task
from . import _lock_order_row
from .card import payment_record

# What the customer reads for a payment the rules refused: it names no rule, on purpose.
BLOCKED_MESSAGE = _("We could not process this payment.")
BLOCKED_CODE = "payment_not_processed"
# What the customer reads while staff review a held payment.
REVIEW_MESSAGE = _("Your payment is being reviewed.")

LOG_SOURCE = "fraud_detection"
# A cleared payment the authorization task has not taken by then is authorized by the retry task.
CLEARED_RUN_BACKSTOP = timedelta(minutes=2)
SCORE_PLACES = Decimal("0.001")
ONE = Decimal("1.000")

# Payments that took money: the customer's usual amount is their average.
_CAPTURED_STATES = (PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)

# A check is decided by `fraud_assess` (pending -> cleared | flagged | blocked); a flagged one by staff.
REVIEW_TRANSITIONS: dict[str, frozenset[str]] = {
    FraudStatus.FLAGGED: frozenset({FraudStatus.CLEARED, FraudStatus.BLOCKED}),
}

# Rule codes, as stored in FraudCheck.rules, with the words staff read in admin.
RULE_LABELS: dict[str, Any] = {
    "customer_velocity": _("Many payments by this customer"),
    "address_velocity": _("Many payments from this client address"),
    "unusual_amount": _("Amount far above the customer's usual"),
    "repeated_declines": _("Repeated failed payments"),
    "country_mismatch": _("Billing country is not the shipping country"),
}


class FraudReviewNotPendingError(InvalidTransitionError):
    code = "fraud_review_not_pending"
    default_message = _("Only a payment flagged for review can be cleared or blocked.")


def fraud_rules() -> FraudRules:
    """The one row of rules, created with the model's defaults on first use."""
    rules = FraudRules.objects.order_by("pk").first()
    if rules is None:
        rules = FraudRules.objects.create()
    return rules


@dataclass(frozen=True)
class _Figures:
    """What the rules look at, measured once (stored on the check for staff)."""

    customer_velocity: int
    address_velocity: int
    usual_amount: Decimal | None
    recent_declines: int


def _figures(payment: Payment, *, ip_address: str | None, rules: FraudRules) -> _Figures:
    since = timezone.now() - timedelta(minutes=rules.velocity_window_minutes)
    earlier = Payment.objects.exclude(pk=payment.pk)
    mine = earlier.filter(user_id=payment.user_id)
    usual = mine.filter(status__in=_CAPTURED_STATES).aggregate(average=Avg("amount"))["average"]
    return _Figures(
        # Card (gateway) payments: paying from the wallet is not a stolen card being tried.
        customer_velocity=mine.filter(created_at__gte=since).exclude(method=PaymentMethodType.WALLET).count(),
        address_velocity=earlier.filter(client_ip=ip_address, created_at__gte=since).count() if ip_address else 0,
        usual_amount=usual,
        recent_declines=mine.filter(status=PaymentStatus.FAILED, created_at__gte=since).count(),
    )


def _fired(
    payment: Payment, figures: _Figures, rules: FraudRules, billing_country: str, shipping_country: str
) -> list[dict[str, str]]:
    """The rules that fired, each with its weight and the figure that tripped it. A rule whose
    weight is 0 is switched off."""
    candidates: list[tuple[str, Decimal, bool, str]] = [
        (
            "customer_velocity",
            rules.customer_velocity_weight,
            figures.customer_velocity >= rules.customer_velocity_limit,
            str(figures.customer_velocity),
        ),
        (
            "address_velocity",
            rules.address_velocity_weight,
            figures.address_velocity >= rules.address_velocity_limit,
            str(figures.address_velocity),
        ),
        (
            "unusual_amount",
            rules.unusual_amount_weight,
            figures.usual_amount is not None and payment.amount > rules.unusual_amount_multiple * figures.usual_amount,
            f"{payment.amount} vs usual {figures.usual_amount:.2f}" if figures.usual_amount is not None else "",
        ),
        (
            "repeated_declines",
            rules.declines_weight,
            figures.recent_declines >= rules.declines_limit,
            str(figures.recent_declines),
        ),
        (
            "country_mismatch",
            rules.country_mismatch_weight,
            bool(billing_country and shipping_country and billing_country != shipping_country),
            f"{billing_country} / {shipping_country}",
        ),
    ]
    return [
        {"code": code, "weight": str(weight), "figure": figure}
        for code, weight, fired, figure in candidates
        if fired and weight > 0
    ]


def fraud_verdict(*, score: Decimal, rules: FraudRules) -> str:
    """blocked at or above the block threshold, flagged at or above the review threshold, else cleared."""
    if score >= rules.block_threshold:
        return FraudStatus.BLOCKED
    if score >= rules.review_threshold:
        return FraudStatus.FLAGGED
    return FraudStatus.CLEARED


def _country(value: object) -> str:
    return str(value or "").strip().upper()


def fraud_assess(
    *,
    payment: Payment,
    ip_address: str | None,
    device_fingerprint: str = "",
    billing_country: object = "",
    shipping_country: object = "",
) -> FraudCheck:
    """Score `payment` (saved, not yet sent to a gateway) and record the verdict as its FraudCheck.

    Writes the check and a payment log row, in the caller's transaction if any; the caller acts on
    `check.status` (blocked: fail the payment with BLOCKED_MESSAGE; flagged: hold it in REVIEW).
    A payment already assessed gets its first check back: the verdict is taken once.
    Countries are ISO codes (or django-countries' Country); either one blank skips that rule.
    """
    existing = FraudCheck.objects.filter(payment=payment).first()
    if existing is not None:
        return existing
    rules = fraud_rules()
    ip_address = ip_address or payment.client_ip or None
    figures = _figures(payment, ip_address=ip_address, rules=rules)
    fired = _fired(payment, figures, rules, _country(billing_country), _country(shipping_country))
    score = min(ONE, sum((Decimal(rule["weight"]) for rule in fired), Decimal(0))).quantize(SCORE_PLACES)
    status = fraud_verdict(score=score, rules=rules)
    check = FraudCheck.objects.create(
        payment=payment,
        user_id=payment.user_id,
        risk_score=score,
        rules=fired,
        ip_address=ip_address,
        device_fingerprint=(device_fingerprint or "")[:128],
        customer_velocity=figures.customer_velocity,
        address_velocity=figures.address_velocity,
        status=status,
    )
    payment_log(
        f"Fraud check: {status} (score {score})",
        source=LOG_SOURCE,
        level=LogLevel.INFO if status == FraudStatus.CLEARED else LogLevel.WARNING,
        payment=payment,
        details={
            "fraud_check": check.pk,
            "score": str(score),
            "rules": fired,
            "recent_declines": figures.recent_declines,
        },
        ip_address=ip_address,
    )
    return check


def fraud_screen(*, payment: Payment, device_fingerprint: str = "", shipping_country: object = "") -> Payment:
    """Assess a new card payment and act on the verdict, in the caller's transaction (called by
    `card_payment_create`, before any gateway call): blocked -> FAILED at once with the neutral
    message; flagged -> REVIEW until staff decide; cleared -> left pending for `card_payment_run`.

    The billing country is the card's; the shipping country, when not given, the order's.
    Returns the payment as it is now.
    """
    if not shipping_country and payment.order_id is not None:
        shipping_country = Payment.objects.filter(pk=payment.pk).values_list("order__shipping_country", flat=True)[0]
    billing_country = payment.payment_method.billing_country if payment.payment_method is not None else ""
    check = fraud_assess(
        payment=payment,
        ip_address=payment.client_ip,
        device_fingerprint=device_fingerprint,
        billing_country=billing_country,
        shipping_country=shipping_country,
    )
    if check.status == FraudStatus.BLOCKED:
        return _payment_fail_blocked(payment)
    if check.status == FraudStatus.FLAGGED:
        held = Payment.objects.filter(pk=payment.pk, status=PaymentStatus.PENDING).update(
            status=PaymentStatus.REVIEW, updated_at=timezone.now()
        )
        if held:
            payment.status = PaymentStatus.REVIEW
            payment_log("Held for review by the fraud rules", source=LOG_SOURCE, payment=payment)
    return payment


def _locked_review(check_id: int, *, to: str) -> tuple[FraudCheck, Payment]:
    """The check's order row (if any), payment, then check, locked in the shop's lock order;
    refused unless the check may go `to` that status."""
    row = FraudCheck.objects.filter(pk=check_id).values("payment_id", "payment__order_id").first()
    if row is None:
        raise NotFoundError(_("No such fraud check."))
    if row["payment__order_id"] is not None:
        _lock_order_row(row["payment__order_id"])
    payment = Payment.objects.select_for_update().get(pk=row["payment_id"])
    check = FraudCheck.objects.select_for_update().get(pk=check_id)
    if to not in REVIEW_TRANSITIONS.get(check.status, frozenset()):
        raise FraudReviewNotPendingError()
    return check, payment


def _review_record(check: FraudCheck, *, status: str, reviewer: User, note: str) -> None:
    check.status = status
    check.reviewed_by = reviewer
    check.reviewed_at = timezone.now()
    check.review_note = note.strip()[:255]
    check.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note", "updated_at"])


def fraud_review_clear(*, check_id: int, reviewer: User, note: str) -> FraudCheck:
    """Staff clear a flagged payment: it leaves REVIEW for pending, and its authorization runs
    in a task after commit. Raises FraudReviewNotPendingError (not flagged), NotFoundError."""
    with transaction.atomic():
        check, payment = _locked_review(check_id, to=FraudStatus.CLEARED)
        _review_record(check, status=FraudStatus.CLEARED, reviewer=reviewer, note=note)
        # The one move down the payment's ranks (review -> pending), and only here: staff let the
        # payment start again from the beginning, as if the rules had cleared it. `retry_after` is
        # the backstop should the task be lost (a broker down): the retry task authorizes it then,
        # with the same key, so it happens once either way.
        now = timezone.now()
        resumed = Payment.objects.filter(pk=payment.pk, status=PaymentStatus.REVIEW).update(
            status=PaymentStatus.PENDING, retry_after=now + CLEARED_RUN_BACKSTOP, updated_at=now
        )
        payment_log(
            "Fraud review: cleared by staff",
            source=LOG_SOURCE,
            payment=payment,
            initiated_by=reviewer,
            details={"fraud_check": check.pk, "note": check.review_note},
        )
        if resumed:
            payment_id = payment.pk
            transaction.on_commit(lambda: fraud_cleared_payment_run_task.delay(payment_id), robust=True)
    return check


def fraud_review_block(*, check_id: int, reviewer: User, note: str) -> FraudCheck:
    """Staff block a flagged payment: it fails with the neutral BLOCKED_MESSAGE (and
    `payment_failed` is sent). Raises FraudReviewNotPendingError (not flagged), NotFoundError."""
    with transaction.atomic():
        check, payment = _locked_review(check_id, to=FraudStatus.BLOCKED)
        _review_record(check, status=FraudStatus.BLOCKED, reviewer=reviewer, note=note)
        payment_log(
            "Fraud review: blocked by staff",
            source=LOG_SOURCE,
            level=LogLevel.WARNING,
            payment=payment,
            initiated_by=reviewer,
            details={"fraud_check": check.pk, "note": check.review_note},
        )
        if payment.status in (PaymentStatus.PENDING, PaymentStatus.REVIEW):  # not voided meanwhile
            _payment_fail_blocked(payment)
    return check


def _payment_fail_blocked(payment: Payment) -> Payment:
    """Fail a payment the rules or staff refused, before any gateway call, through the card
    engine's one writer (`payment_record`: the state rule, a transaction row, the log and
    `payment_failed`). Its id is the shop's own: recorded once, whoever repeats it."""
    refused = GatewayResult(
        ResultStatus.DECLINED,
        transaction_id=f"shop_{payment.pk}_fraud_blocked",
        code=BLOCKED_CODE,
        message=str(BLOCKED_MESSAGE),
    )
    return payment_record(
        payment_id=payment.pk, result=refused, transaction_type=TransactionType.AUTHORIZATION, source=LOG_SOURCE
    )
