"""Every money movement. A wallet row is changed only while locked (`select_for_update`), and each
change writes its ledger entry in the same transaction, so balance = sum of the ledger, always.
"""

import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from common.idempotency import idempotency_key_clean, idempotent_replay, request_fingerprint
from common.money import CENT, ZERO, money

from ..exceptions import InsufficientBalanceError, InvalidAmountError, OrderRefundCapError, RefundExceedsPaymentError
from ..models import (
    EntryType,
    Payment,
    PaymentStatus,
    PaymentTransaction,
    Refund,
    RefundDestination,
    RefundStatus,
    TransactionStatus,
    TransactionType,
    Wallet,
    WalletEntry,
)


def wallet_for(*, user: User) -> Wallet:
    """The user's wallet, created empty on first use."""
    wallet, _created = Wallet.objects.get_or_create(user=user, defaults={"currency": settings.SHOP_CURRENCY})
    return wallet


def _locked_wallet(user: User) -> Wallet:
    """The user's wallet row, locked until commit (one statement when the wallet exists)."""
    wallet = Wallet.objects.select_for_update().filter(user=user).first()
    if wallet is None:
        wallet_for(user=user)
        wallet = Wallet.objects.select_for_update().get(user=user)
    return wallet


def parse_charge_amount(raw: object) -> Decimal:
    """A top-up amount: positive, at most two decimals, at most WALLET_MAX_CHARGE.

    Takes a string, an int or a Decimal (never a float: money is not binary). Raises
    InvalidAmountError with a sentence for the customer.
    """
    if isinstance(raw, float):
        raise TypeError("parse_charge_amount() takes str, int or Decimal, never float")
    if isinstance(raw, bool) or raw is None:
        raise InvalidAmountError(_("Enter an amount such as 25.00."))
    try:
        amount = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise InvalidAmountError(_("Enter an amount such as 25.00.")) from None
    if not amount.is_finite():
        raise InvalidAmountError(_("Enter an amount such as 25.00."))
    if amount <= 0:
        raise InvalidAmountError(_("The amount must be more than zero."))
    # Before quantizing: a huge exponent ("1e40") cannot be quantized to cents.
    if amount > settings.WALLET_MAX_CHARGE:
        raise InvalidAmountError(
            _("One top-up can add at most %(max)s.") % {"max": settings.WALLET_MAX_CHARGE},
            extra={"max": str(settings.WALLET_MAX_CHARGE)},
        )
    if amount != amount.quantize(CENT):
        raise InvalidAmountError(_("Use at most two decimal places."))
    return money(amount)


def wallet_charge(*, user: User, amount: object, reference: str = "") -> WalletEntry:
    """Top up the wallet. Raises InvalidAmountError."""
    value = parse_charge_amount(amount)
    with transaction.atomic(savepoint=False):
        entry = _move(user=user, entry_type=EntryType.CHARGE, amount=value, reference=reference)
        if entry is None:  # the first top-up: the wallet did not exist yet
            wallet_for(user=user)
            entry = _move(user=user, entry_type=EntryType.CHARGE, amount=value, reference=reference)
    assert entry is not None
    return entry


@dataclass(frozen=True)
class Charged:
    entry: WalletEntry
    created: bool  # False when an Idempotency-Key replayed an earlier top-up


def wallet_charge_once(*, user: User, amount: object, idempotency_key: str, reference: str = "") -> Charged:
    """Top up the wallet at most once per key: the same key again returns the first entry.

    A blank key is no key: the top-up is not idempotent. Raises InvalidAmountError, and
    IdempotencyKeyReuseError when the key came with another amount.
    """
    value = parse_charge_amount(amount)
    key = idempotency_key_clean(idempotency_key)
    if key is None:
        return Charged(entry=wallet_charge(user=user, amount=value, reference=reference), created=True)
    fingerprint = request_fingerprint("wallet_charge", amount=value)
    with transaction.atomic():
        # The wallet lock serializes retries of one key: the second finds the first's entry.
        wallet = _locked_wallet(user)
        earlier = WalletEntry.objects.filter(wallet=wallet, idempotency_key=key).first()
        if (replayed := idempotent_replay(earlier, fingerprint=fingerprint)) is not None:
            return Charged(entry=replayed, created=False)
        entry = _move(
            user=user,
            entry_type=EntryType.CHARGE,
            amount=value,
            reference=reference,
            idempotency_key=key,
            fingerprint=fingerprint,
        )
    assert entry is not None  # the wallet is locked above, so it exists
    return Charged(entry=entry, created=True)


def wallet_debit(*, user: User, amount: Decimal, order_id: int | None, reference: str) -> WalletEntry:
    """Pay from the wallet. Raises InsufficientBalanceError and changes nothing when short."""
    amount = money(amount)
    if amount <= ZERO:
        raise InvalidAmountError(_("A payment must be more than zero."))
    # No savepoint: inside checkout the order's transaction owns the failure, and a short
    # wallet writes nothing, so the error is raised after the block and the caller's
    # transaction stays usable.
    with transaction.atomic(savepoint=False):
        entry = _move(user=user, entry_type=EntryType.USE, amount=amount, reference=reference, order_id=order_id)
    if entry is None:
        balance = Wallet.objects.filter(user=user).values_list("balance", flat=True).first() or ZERO
        raise InsufficientBalanceError(extra={"balance": str(balance), "required": str(amount)})
    return entry


def wallet_refund(*, user: User, amount: Decimal, order_id: int | None, reference: str) -> WalletEntry:
    """Give money back to the wallet. Raises InvalidAmountError for zero or less."""
    amount = money(amount)
    if amount <= ZERO:
        raise InvalidAmountError(_("A refund must be more than zero."))
    with transaction.atomic(savepoint=False):
        entry = _move(user=user, entry_type=EntryType.REFUND, amount=amount, reference=reference, order_id=order_id)
        if entry is None:  # a refund to someone who never had a wallet (staff-made payments)
            wallet_for(user=user)
            entry = _move(user=user, entry_type=EntryType.REFUND, amount=amount, reference=reference, order_id=order_id)
    assert entry is not None
    return entry


def _move(
    *,
    user: User,
    entry_type: EntryType,
    amount: Decimal,
    reference: str,
    order_id: int | None = None,
    idempotency_key: str | None = None,
    fingerprint: str = "",
    payment_id: int | None = None,
    created_by: User | None = None,
    note: str = "",
) -> WalletEntry | None:
    """Change the balance by one entry and write the entry; None when there is no wallet, or a
    debit it does not cover (then nothing changed).

    One statement finds, checks, changes and locks the wallet row: it is the row a customer's
    parallel payments queue on, so it is held for as few statements as possible (until the
    caller's commit). `balance >= amount` in the statement is what makes a negative balance
    impossible; the table's CHECK is the backstop.
    """
    assert transaction.get_connection().in_atomic_block, "the entry is written in the same transaction"
    amount = money(amount)
    delta = WalletEntry.SIGN[entry_type] * amount
    table = connection.ops.quote_name(Wallet._meta.db_table)
    covered = "AND balance >= %s" if delta < 0 else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET balance = balance + %s, updated_at = %s "  # noqa: S608 - the table name is ours
            # As text: SQLite (the embedded default) would hand the balance back as a float.
            f"WHERE user_id = %s {covered} RETURNING id, CAST(balance AS TEXT)",
            [delta, timezone.now(), user.pk, *([amount] if delta < 0 else [])],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    wallet_id, balance = row
    return WalletEntry.objects.create(
        wallet_id=wallet_id,
        entry_type=entry_type,
        amount=amount,
        balance_after=money(Decimal(balance)),
        reference=reference[:64],
        order_id=order_id,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
        payment_id=payment_id,
        created_by=created_by,
        note=note[:255],
    )


def payment_record_wallet_capture(*, user: User, order_id: int, amount: Decimal, currency: str) -> Payment:
    """Record a payment from the wallet as captured, with its transaction: the rows only.

    The debit (`wallet_debit`) must follow in the same transaction; until the commit both or
    neither exist. Checkout records first and debits last, after taking stock, so the wallet
    row is locked for the fewest statements.
    """
    assert transaction.get_connection().in_atomic_block, "the debit follows in the same transaction"
    payment = Payment.objects.create(
        order_id=order_id,
        user=user,
        amount=amount,
        captured_amount=amount,
        captured_at=timezone.now(),
        currency=currency,
        status=PaymentStatus.CAPTURED,
    )
    PaymentTransaction.objects.create(
        payment=payment,
        transaction_id=f"wal_{uuid.uuid4().hex}",
        transaction_type=TransactionType.CAPTURE,
        amount=amount,
        currency=currency,
        status=TransactionStatus.SUCCESS,
        response_code="00",
        response_message="Paid from wallet",
    )
    return payment


def payment_refund(*, payment_id: int, amount: Decimal, reason: str, actor: User | None, reference: str) -> Refund:
    """Give money back to the wallet it came from; never more than what is left of the payment.

    Locks the order row, the payment, then the wallet (the shop's lock order). Raises
    InvalidAmountError, RefundExceedsPaymentError. For an order's refunds use `order_refund`,
    which holds the cap across all of an order's payments.
    """
    with transaction.atomic():
        _lock_order_row(Payment.objects.values_list("order_id", flat=True).get(pk=payment_id))
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        amount = money(amount)
        if amount <= ZERO:
            raise InvalidAmountError(_("A refund must be more than zero."))
        if payment.refunded_amount + amount > payment.amount:
            raise RefundExceedsPaymentError(
                extra={"refundable": str(payment.amount - payment.refunded_amount), "requested": str(amount)}
            )
        return _payment_refund_locked(
            payment,
            amount=amount,
            reason=reason,
            actor=actor,
            reference=reference,
            destination=RefundDestination.ORIGINAL,
        )


def _payment_refund_locked(
    payment: Payment, *, amount: Decimal, reason: str, actor: User | None, reference: str, destination: str
) -> Refund:
    """Refund `amount` of a payment the caller has locked and checked: the Refund row, the wallet
    credit, the payment's refunded total and its transaction, in the caller's transaction.

    Every payment is a wallet payment today, so "original" lands in the wallet too; a card
    gateway would send "original" back to the card and only "wallet" to the wallet.
    """
    assert payment.order_id is not None, "only an order's payments are refunded"
    refund = Refund.objects.create(
        payment=payment,
        order_id=payment.order_id,
        amount=amount,
        currency=payment.currency,
        reason=reason[:255],
        status=RefundStatus.COMPLETED,
        processed_by=actor,
        destination=destination,
        reference=reference[:64],
    )
    wallet_refund(user=payment.user, amount=amount, order_id=payment.order_id, reference=reference)
    payment.refunded_amount += amount
    payment.status = (
        PaymentStatus.REFUNDED if payment.refunded_amount == payment.amount else PaymentStatus.PARTIALLY_REFUNDED
    )
    payment.save(update_fields=["refunded_amount", "status", "updated_at"])
    PaymentTransaction.objects.create(
        payment=payment,
        transaction_id=f"ref_{uuid.uuid4().hex}",
        transaction_type=TransactionType.REFUND,
        amount=amount,
        currency=payment.currency,
        status=TransactionStatus.SUCCESS,
        response_code="00",
        response_message="Refunded to wallet"
        if destination == RefundDestination.ORIGINAL
        else "Store credit to wallet",
    )
    return refund


def _lock_order_row(order_id: int) -> None:
    """Lock the order's row before its payments: the shop's one lock order (order -> payments ->
    wallet). A refund's rows point at the order (a foreign key takes a share lock on it), so a
    refund that took the payments first would deadlock with a cancellation or an issue holding
    the order and waiting for the payments. (By name: payments does not import orders.)"""
    order_model = apps.get_model("orders", "Order")
    list(order_model.objects.select_for_update().filter(pk=order_id).values_list("pk", flat=True))


# What is left to give back lives only in these states (a partly refunded payment still holds money).
_REFUNDABLE_STATES = (PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED)


def order_refundable(*, order_id: int) -> Decimal:
    """What is still left to give back for an order (a read, unlocked: for pages and forms; the
    refund itself checks again under the lock)."""
    total = ZERO
    for amount, refunded in Payment.objects.filter(order_id=order_id, status__in=_REFUNDABLE_STATES).values_list(
        "amount", "refunded_amount"
    ):
        total += amount - refunded
    return money(total)


def order_refund(
    *,
    order_id: int,
    amount: Decimal | None,
    reason: str,
    actor: User | None,
    destination: str = RefundDestination.ORIGINAL,
    reference: str = "",
    keep: Decimal = ZERO,
) -> list[Refund]:
    """Give back `amount` of an order's payments (None: all that is left, less `keep`, such as a
    cancellation fee, counted under the same lock): THE refund cap.

    Cancellations, returns and issue compensation all call this, so the money given back for
    one order never exceeds what its payments took, also when asked in parallel: every payment
    of the order is locked in primary-key order (the same order for every caller, so two
    refunds queue instead of deadlocking), then what is left is counted and taken oldest
    payment first. Store credit (`destination="wallet"`) is a refund of a payment like any
    other, so it counts against the cap. Lock order: order row (taken here if the caller does
    not hold it yet) -> payments (by pk) -> wallet.

    Inside a transaction it adds no savepoint of its own; alone it is all or nothing. Raises
    InvalidAmountError (zero or less, or a destination it does not know) and OrderRefundCapError
    (more than is left, or a `keep` above it; `extra` says how much is left). With `amount=None`
    and nothing left (beyond `keep`) it returns [] and changes nothing.
    """
    if destination not in RefundDestination.values:
        raise InvalidAmountError(_("Choose where the money goes: the original payment or the wallet."))
    if amount is not None:
        amount = money(amount)
        if amount <= ZERO:
            raise InvalidAmountError(_("A refund must be more than zero."))
    with transaction.atomic(savepoint=False):
        _lock_order_row(order_id)
        payments = list(
            Payment.objects.select_for_update().filter(order_id=order_id, status__in=_REFUNDABLE_STATES).order_by("pk")
        )
        refundable = sum((p.amount - p.refunded_amount for p in payments), ZERO)
        if amount is None:
            amount = refundable - money(keep)
            if amount == ZERO:
                return []
        if amount > refundable or amount < ZERO:
            refused = refundable
        else:
            refused = None
            refunds = _order_refund_locked(
                payments, amount, reason, actor, destination, reference or f"order:{order_id}"
            )
    # Raised after the block: a refusal writes nothing, so the caller's transaction stays usable
    # (no savepoint of our own to roll back to).
    if refused is not None:
        raise OrderRefundCapError(
            _("At most %(refundable)s can still be given back for this order.") % {"refundable": refused},
            extra={"refundable": str(refused), "requested": str(amount)},
        )
    return refunds


def _order_refund_locked(
    payments: list[Payment], amount: Decimal, reason: str, actor: User | None, destination: str, reference: str
) -> list[Refund]:
    refunds: list[Refund] = []
    left = amount
    for payment in payments:
        part = min(left, payment.amount - payment.refunded_amount)
        if part <= ZERO:
            continue
        refunds.append(
            _payment_refund_locked(
                payment, amount=part, reason=reason, actor=actor, reference=reference, destination=destination
            )
        )
        left -= part
        if left <= ZERO:
            break
    return refunds


def order_payments_refund(*, order_id: int, reason: str, actor: User | None) -> list[Refund]:
    """Give back to the wallet what is left of every payment of an order, oldest payment first.

    The cancellation's full refund: `order_refund` of everything left. Inside a transaction it
    adds no savepoint of its own; alone, it is all or nothing.
    """
    return order_refund(order_id=order_id, amount=None, reason=reason, actor=actor, reference=f"order:{order_id}")
