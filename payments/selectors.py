"""Reads of the wallet and its ledger, always through the owner."""

from django.conf import settings
from django.db.models import QuerySet

from accounts.models import User
from common.money import ZERO

from .models import Refund, Wallet, WalletEntry


def wallet_of(*, user: User) -> Wallet:
    """The user's wallet; an unsaved empty one when they never had any (a read writes nothing)."""
    wallet = Wallet.objects.filter(user=user).first()
    if wallet is None:
        wallet = Wallet(user=user, balance=ZERO, currency=settings.SHOP_CURRENCY)
    return wallet


def wallet_entries_of(*, user: User) -> QuerySet[WalletEntry]:
    """The user's ledger, newest first, with the order each entry belongs to."""
    return WalletEntry.objects.filter(wallet__user=user).select_related("order").order_by("-id")


def refunds_visible_to(*, user: User, everyone: bool = False) -> QuerySet[Refund]:
    """The refunds of the user's payments (all refunds with `everyone`, for staff), newest first,
    with their order; soft-deleted ones left out."""
    refunds = Refund.objects.filter(deleted_at__isnull=True).select_related("order").order_by("-id")
    return refunds if everyone else refunds.filter(payment__user=user)
