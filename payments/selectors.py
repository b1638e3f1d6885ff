"""Reads of the wallet and its ledger, always through the owner."""

from django.conf import settings
from django.db.models import QuerySet

from accounts.models import User
from common.money import ZERO

from .models import Wallet, WalletEntry


def wallet_of(*, user: User) -> Wallet:
    """The user's wallet; an unsaved empty one when they never had any (a read writes nothing)."""
    wallet = Wallet.objects.filter(user=user).first()
    if wallet is None:
        wallet = Wallet(user=user, balance=ZERO, currency=settings.SHOP_CURRENCY)
    return wallet


def wallet_entries_of(*, user: User) -> QuerySet[WalletEntry]:
    """The user's ledger, newest first, with the order each entry belongs to."""
    return WalletEntry.objects.filter(wallet__user=user).select_related("order").order_by("-id")
