"""Threads racing on one wallet against PostgreSQL: the balance is always the sum of the ledger,
never negative, and every successful operation wrote exactly one ledger row."""

import random
import time
from collections import Counter
from decimal import Decimal

import pytest

from payments.exceptions import InsufficientBalanceError
from payments.models import Wallet, WalletEntry
from payments.services import wallet_charge, wallet_charge_once, wallet_debit
from tests.factories.accounts import UserFactory

from .helpers import balance_of, ledger_sum, run_concurrently

# Transactional: each thread has its own connection and must see the others' commits. The rows
# data migrations put there come back after the flush through the root conftest's _reference_data.
pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

WORKERS = 25


def _outcomes(results) -> Counter:
    return Counter(type(value).__name__ if kind == "error" else kind for kind, value in results)


def test_100_mixed_charges_and_debits_keep_the_ledger_and_the_balance_in_step():
    user = UserFactory()
    wallet_charge(user=user, amount="20.00")
    rng = random.Random(20261123)
    calls = []
    for i in range(100):
        amount = Decimal(rng.randint(100, 3000)) / 100  # 1.00 .. 30.00, as Decimal
        if i % 2:
            calls.append(lambda a=amount: wallet_debit(user=user, amount=a, order_id=None, reference="race"))
        else:
            calls.append(lambda a=amount: wallet_charge(user=user, amount=a, reference="race"))

    started = time.monotonic()
    results = run_concurrently(calls, workers=WORKERS)
    elapsed = time.monotonic() - started

    outcomes = _outcomes(results)
    assert set(outcomes) <= {"ok", "InsufficientBalanceError"}
    assert outcomes["ok"] >= 50  # every charge went through
    entries = list(WalletEntry.objects.filter(wallet__user=user).order_by("id"))
    assert len(entries) == 1 + outcomes["ok"]  # one ledger row per successful operation, no more
    assert {e.pk for kind, e in results if kind == "ok"} == {e.pk for e in entries[1:]}
    assert balance_of(user) == ledger_sum(user)
    assert all(e.balance_after >= 0 for e in entries)
    # Each row continues from the one before: the wallet row lock serialized them all.
    running = Decimal("0.00")
    for entry in entries:
        running += entry.signed_amount
        assert entry.balance_after == running
    assert Wallet.objects.get(user=user).balance == running
    assert elapsed < 30, f"100 operations took {elapsed:.1f}s"


@pytest.mark.parametrize(("balance", "debit"), [("100.00", "7.00"), ("49.99", "1.00")])
def test_50_debits_at_once_only_as_many_as_the_balance_covers_succeed(balance, debit):
    user = UserFactory()
    wallet_charge(user=user, amount=balance)
    balance_, debit_ = Decimal(balance), Decimal(debit)
    expected = int(balance_ // debit_)

    results = run_concurrently(
        [lambda: wallet_debit(user=user, amount=debit_, order_id=None, reference="race")] * 50, workers=WORKERS
    )

    assert _outcomes(results) == {"ok": expected, "InsufficientBalanceError": 50 - expected}
    assert all(isinstance(value, InsufficientBalanceError) for kind, value in results if kind == "error")
    assert balance_of(user) == balance_ - expected * debit_ == ledger_sum(user)
    assert WalletEntry.objects.filter(wallet__user=user).count() == 1 + expected
    assert not WalletEntry.objects.filter(balance_after__lt=0).exists()


def test_one_top_up_retried_10_times_at_once_with_its_key_charges_once():
    user = UserFactory()

    results = run_concurrently(
        [lambda: wallet_charge_once(user=user, amount="10.00", idempotency_key="retry-me")] * 10, workers=10
    )

    assert _outcomes(results) == {"ok": 10}
    assert sum(charged.created for _, charged in results) == 1
    assert len({charged.entry.pk for _, charged in results}) == 1
    assert balance_of(user) == Decimal("10.00") == ledger_sum(user)
