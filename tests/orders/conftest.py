"""Fixtures for the orders tests: funded customers, stock, and orders placed through checkout."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from orders.services import order_place
from payments.models import WalletEntry
from payments.services import wallet_charge
from tests.factories.accounts import CustomerFactory
from tests.factories.commerce import VariantFactory


def funded_user(amount: str = "500.00"):
    user = CustomerFactory().user
    wallet_charge(user=user, amount=amount)
    return user


def place(user, variant, quantity: int = 1, **kwargs):
    """An order placed and paid through the real checkout."""
    return order_place(user=user, lines=[{"variant_id": variant.pk, "quantity": quantity}], **kwargs).order


def ledger_sum(user) -> Decimal:
    return sum((e.signed_amount for e in WalletEntry.objects.filter(wallet__user=user)), Decimal("0.00"))


@pytest.fixture
def customer(db):
    return funded_user()


@pytest.fixture
def other_customer(db):
    return funded_user()


@pytest.fixture
def variant(db):
    return VariantFactory(price=Decimal("20.00"), stock=10)


@pytest.fixture
def shopper(client, customer):
    """A browser signed in as `customer`."""
    client.force_login(customer)
    return client


@pytest.fixture
def api(customer):
    """An API client authenticated as `customer`."""
    client = APIClient()
    client.force_authenticate(customer)
    return client


@pytest.fixture
def anonymous_api():
    return APIClient()
