"""Reads of the wallet and its ledger, always through the owner."""

from django.conf import settings
from django.db.models import QuerySet

from accounts.models import User
from common.money import ZERO

from .exceptions import CardExpiredError, PaymentMethodNotFoundError
from .models import Payment, PaymentMethod, PaymentMethodStatus, PaymentPurpose, Wallet, WalletEntry


def wallet_of(*, user: User) -> Wallet:
    """The user's wallet; an unsaved empty one when they never had any (a read writes nothing)."""
    wallet = Wallet.objects.filter(user=user).first()
    if wallet is None:
        wallet = Wallet(user=user, balance=ZERO, currency=settings.SHOP_CURRENCY)
    return wallet


def wallet_entries_of(*, user: User) -> QuerySet[WalletEntry]:
    """The user's ledger, newest first, with the order each entry belongs to."""
    return WalletEntry.objects.filter(wallet__user=user).select_related("order").order_by("-id")


# --- saved payment methods ----------------------------------------------------------------------


def payment_methods_of(*, user: User) -> QuerySet[PaymentMethod]:
    """The customer's saved methods (removed ones left out): the default first, then the newest.
    An expired card is still listed (`is_expired`), so the customer sees why it cannot pay."""
    return (
        PaymentMethod.objects.filter(user=user)
        .exclude(status=PaymentMethodStatus.INACTIVE)
        .order_by("-is_default", "-id")
    )


def payment_method_of(*, user: User, method_id: int) -> PaymentMethod:
    """One of the customer's saved methods. Raises PaymentMethodNotFoundError (also for another
    customer's)."""
    method = payment_methods_of(user=user).filter(pk=method_id).first()
    if method is None:
        raise PaymentMethodNotFoundError()
    return method


def payment_method_to_pay(*, user: User, method_id: object) -> PaymentMethod:
    """The customer's saved card that can pay now: THE check before a payment takes a method.

    Raises PaymentMethodNotFoundError (not theirs, removed, or not an id), CardExpiredError.
    """
    try:
        pk = int(str(method_id))
    except ValueError:
        raise PaymentMethodNotFoundError() from None
    method = payment_method_of(user=user, method_id=pk)
    if method.is_expired:
        raise CardExpiredError()
    return method


def wallet_topup_of(*, user: User, payment_id: object) -> Payment | None:
    """One of the customer's card top-ups, or None (not theirs, not a top-up, not an id)."""
    try:
        pk = int(str(payment_id))
    except ValueError:
        return None
    return Payment.objects.filter(user=user, purpose=PaymentPurpose.WALLET_TOPUP, pk=pk).first()
