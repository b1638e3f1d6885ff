"""Paid top-ups raced by threads against PostgreSQL, with the sandbox's webhooks delivered for
real (after commit): a double-submitted top-up charges and credits once; different top-ups on one
wallet each credit once, and the balance is the sum of the ledger."""

from collections import Counter
from decimal import Decimal

import pytest

from payments.models import Payment, PaymentStatus, SandboxOperation, WalletEntry
from payments.services.topups import wallet_topup_start
from tests.factories.accounts import UserFactory

from .helpers import balance_of, ledger_sum, run_concurrently
from .saved_cards import saved_card

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def _outcomes(results) -> Counter:
    return Counter(type(value).__name__ if kind == "error" else kind for kind, value in results)


def test_a_top_up_submitted_by_eight_threads_with_one_key_charges_and_credits_once():
    user = UserFactory()
    card = saved_card(user)
    calls = [
        lambda: wallet_topup_start(user=user, amount="25.00", payment_method_id=card.pk, idempotency_key="double")
        for _ in range(8)
    ]

    results = run_concurrently(calls, workers=8)

    assert _outcomes(results) == Counter({"ok": 8})
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.CAPTURED
    assert {value.payment.pk for _kind, value in results} == {payment.pk}
    assert SandboxOperation.objects.filter(operation="capture").count() == 1  # one charge at the processor
    assert WalletEntry.objects.filter(payment=payment).count() == 1
    assert balance_of(user) == Decimal("25.00") == ledger_sum(user)


def test_different_top_ups_on_one_wallet_each_credit_once():
    user = UserFactory()
    card = saved_card(user)
    calls = [
        lambda n=n: wallet_topup_start(user=user, amount=f"{n}.00", payment_method_id=card.pk, idempotency_key=f"k{n}")
        for n in range(1, 11)
    ]

    results = run_concurrently(calls, workers=5)

    assert _outcomes(results) == Counter({"ok": 10})
    assert Payment.objects.filter(status=PaymentStatus.CAPTURED).count() == 10
    assert WalletEntry.objects.count() == 10
    assert balance_of(user) == Decimal("55.00") == ledger_sum(user)
