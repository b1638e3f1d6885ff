from decimal import Decimal
from io import StringIO

import pytest

from payments import demo
from payments.models import EntryType, WalletEntry
from payments.services import wallet_charge
from tests.factories.accounts import UserFactory

from .helpers import balance_of, ledger_sum

pytestmark = pytest.mark.django_db


def test_seed_funds_the_demo_customer_once_through_the_ledger():
    customer = UserFactory(email="customer@example.com")
    out = StringIO()

    demo.seed(out)
    demo.seed(out)

    assert balance_of(customer) == Decimal("500.00") == ledger_sum(customer)
    entry = WalletEntry.objects.get()
    assert (entry.entry_type, entry.reference) == (EntryType.CHARGE, "Demo top-up")
    assert "funded to 500.00 USD" in out.getvalue() and "already funded" in out.getvalue()


def test_seed_leaves_a_used_wallet_alone():
    customer = UserFactory(email="customer@example.com")
    wallet_charge(user=customer, amount="3.00")
    demo.seed(StringIO())
    assert balance_of(customer) == Decimal("3.00")


def test_seed_without_the_demo_customer_does_nothing():
    out = StringIO()
    demo.seed(out)
    assert not WalletEntry.objects.exists()
    assert "no customer@example.com" in out.getvalue()
