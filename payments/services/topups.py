"""Money into a wallet: top-ups paid by card, and credits staff make in admin.

A paid top-up is a card payment (`Payment`, purpose `wallet_topup`) that credits the wallet when
it is captured, by one `WalletEntry` pointing at the payment: the entry's one-to-one link to the
payment makes a second credit for one payment impossible, however often the capture is told.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from common.idempotency import idempotency_key_clean, idempotent_replay, request_fingerprint

from ..exceptions import CreditReasonRequiredError
from ..logs import payment_log
from ..models import EntryType, Payment, PaymentPurpose, WalletEntry
from ..selectors import payment_method_to_pay
from . import _move, parse_charge_amount, wallet_for
from .card import card_payment_create, card_payment_run

STAFF_CREDIT_SOURCE = "staff_credit"
TOPUP_SOURCE = "wallet_topup"


def _credit(
    *,
    user: User,
    amount: Decimal,
    reference: str,
    payment_id: int | None = None,
    created_by: User | None = None,
    note: str = "",
) -> WalletEntry:
    """Add `amount` to the user's wallet (made on first use), in the caller's transaction."""
    entry: dict[str, Any] = {"payment_id": payment_id, "created_by": created_by, "note": note}
    moved = _move(user=user, entry_type=EntryType.CHARGE, amount=amount, reference=reference, **entry)
    if moved is None:  # the first money in: the wallet did not exist yet
        wallet_for(user=user)
        moved = _move(user=user, entry_type=EntryType.CHARGE, amount=amount, reference=reference, **entry)
    assert moved is not None
    return moved


def wallet_staff_credit(
    *, user: User, amount: object, actor: User, reason: str, ip_address: str | None = None, user_agent: str = ""
) -> WalletEntry:
    """A staff member credits a customer's wallet without a payment (goodwill, a correction): the
    ledger entry names them and the reason, and the payment log keeps it for audit.

    Raises InvalidAmountError, CreditReasonRequiredError.
    """
    reason = (reason or "").strip()
    if not reason:
        raise CreditReasonRequiredError()
    value = parse_charge_amount(amount)
    with transaction.atomic():
        entry = _credit(
            user=user,
            amount=value,
            reference=f"Staff credit #{actor.pk}: {reason}",
            created_by=actor,
            note=reason,
        )
        payment_log(
            _("Staff credit of %(amount)s to %(email)s's wallet") % {"amount": value, "email": user.email},
            source=STAFF_CREDIT_SOURCE,
            initiated_by=actor,
            details={"user": user.pk, "amount": str(value), "reason": reason, "wallet_entry": entry.pk},
            ip_address=ip_address,
            user_agent=user_agent,
        )
    return entry


# --- paid top-ups -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopUp:
    """A paid top-up as it stands once the gateway has answered."""

    payment: Payment
    entry: WalletEntry | None  # the wallet's credit, once the card payment is captured
    replayed: bool  # the same Idempotency-Key again: the first top-up, nothing charged again


def wallet_topup_return_url(payment_id: int) -> str:
    """Where the card's confirmation step (3-D Secure) sends the customer back to."""
    return f"{reverse('payments:wallet')}?{urlencode({'topup': payment_id})}"


def wallet_topup_start(
    *,
    user: User,
    amount: object,
    payment_method_id: object,
    idempotency_key: str | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
) -> TopUp:
    """Top up the wallet by charging one of the customer's saved cards, OUTSIDE any transaction.

    A card payment (purpose `wallet_topup`) is created, then authorized and captured through the
    gateway; the wallet is credited when the capture is recorded (`wallet_topup_credit`, on
    `payment_captured`): at once, or later when the customer confirms the payment with their bank
    or a timed-out call is retried. The same Idempotency-Key again answers with the first top-up
    and charges nothing. Raises InvalidAmountError, PaymentMethodNotFoundError, CardExpiredError,
    IdempotencyKeyReuseError.
    """
    value = parse_charge_amount(amount)
    method = payment_method_to_pay(user=user, method_id=payment_method_id)
    key = idempotency_key_clean(idempotency_key)
    fingerprint = request_fingerprint("wallet_topup", amount=value, payment_method=method.pk)
    earlier = Payment.objects.filter(user=user, idempotency_key=key).first() if key else None
    if (replayed := idempotent_replay(earlier, fingerprint=fingerprint)) is not None:
        return TopUp(payment=replayed, entry=_credit_of(replayed), replayed=True)
    with transaction.atomic():
        payment = card_payment_create(
            user=user,
            amount=value,
            purpose=PaymentPurpose.WALLET_TOPUP,
            payment_method=method,
            idempotency_key=key,
            fingerprint=fingerprint,
            client_ip=ip_address,
        )
    payment = card_payment_run(
        payment_id=payment.pk,
        return_url=wallet_topup_return_url(payment.pk),
        ip_address=ip_address,
        user_agent=user_agent,
    )
    return TopUp(payment=payment, entry=_credit_of(payment), replayed=False)


def _credit_of(payment: Payment) -> WalletEntry | None:
    return WalletEntry.objects.select_related("wallet").filter(payment=payment).first()


def wallet_topup_credit(*, payment: Payment) -> WalletEntry | None:
    """Credit the wallet for a captured top-up, once; None for any other payment, or one credited
    before.

    Runs on `payment_captured`, inside the transaction that recorded the capture, with the payment
    row locked: the wallet row is taken after it (the shop's lock order), and a second capture
    notice finds the entry and adds nothing (its one-to-one link to the payment is the backstop).
    """
    if payment.purpose != PaymentPurpose.WALLET_TOPUP:
        return None
    if WalletEntry.objects.filter(payment=payment).exists():
        return None
    amount = payment.captured_amount if payment.captured_amount > 0 else payment.amount
    method = payment.payment_method
    reference = _("Card top-up") + (f", {method}" if method is not None else "")
    entry = _credit(user=payment.user, amount=amount, reference=reference, payment_id=payment.pk)
    payment_log(
        _("Wallet credited %(amount)s") % {"amount": amount},
        source=TOPUP_SOURCE,
        payment=payment,
        details={"wallet_entry": entry.pk, "amount": str(amount), "balance_after": str(entry.balance_after)},
    )
    return entry


def wallet_topup_captured(sender: object, *, payment: Payment, **kwargs: object) -> None:
    """The `payment_captured` receiver (connected in PaymentsConfig.ready)."""
    wallet_topup_credit(payment=payment)
