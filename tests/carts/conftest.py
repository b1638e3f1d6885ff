"""Fixtures for the cart tests: a funded customer, a variant in stock, a browser signed in."""

from decimal import Decimal

import pytest

from tests.factories.commerce import VariantFactory
from tests.orders.conftest import funded_user


@pytest.fixture
def customer(db):
    return funded_user("500.00")


@pytest.fixture
def variant(db):
    return VariantFactory(price=Decimal("20.00"), stock=10, product__title="Blue teapot")


@pytest.fixture
def shopper(client, customer):
    client.force_login(customer)
    return client
