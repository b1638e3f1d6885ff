"""Demo data for `manage.py seed_demo`: the demo customer's wallet, funded through the ledger."""

from typing import Any

from django.contrib.auth import get_user_model

from .models import WalletEntry
from .services import wallet_charge

DEMO_CUSTOMER_EMAIL = "customer@example.com"
DEMO_BALANCE = "500.00"


def seed(stdout: Any) -> None:
    """Fund the demo customer's wallet to 500.00 once; a wallet with any entry is left alone."""
    user = get_user_model().objects.filter(email=DEMO_CUSTOMER_EMAIL).first()
    if user is None:
        stdout.write(f"payments: no {DEMO_CUSTOMER_EMAIL} yet, wallet not funded")
        return
    if WalletEntry.objects.filter(wallet__user=user).exists():
        stdout.write(f"payments: {DEMO_CUSTOMER_EMAIL} wallet already funded")
        return
    entry = wallet_charge(user=user, amount=DEMO_BALANCE, reference="Demo top-up")
    stdout.write(f"payments: {DEMO_CUSTOMER_EMAIL} wallet funded to {entry.balance_after} {entry.wallet.currency}")
