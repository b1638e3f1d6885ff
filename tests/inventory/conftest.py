"""Fixtures for the stock tests."""

from decimal import Decimal

import pytest

from inventory.models import InventoryItem, Warehouse
from tests.factories.accounts import SellerFactory
from tests.factories.commerce import ProductFactory, VariantFactory


@pytest.fixture
def warehouse(db):
    return Warehouse.objects.get(is_default=True)


@pytest.fixture
def variant(db):
    return VariantFactory(price=Decimal("10.00"), stock=10)


@pytest.fixture
def item(variant):
    return InventoryItem.objects.get(variant=variant)


def reserve(item: InventoryItem, units: int) -> InventoryItem:
    InventoryItem.objects.filter(pk=item.pk).update(reserved_quantity=units)
    item.refresh_from_db()
    return item


@pytest.fixture
def seller(db):
    return SellerFactory()


@pytest.fixture
def other_seller(db):
    return SellerFactory()


@pytest.fixture
def seller_client(client, seller):
    client.force_login(seller.user)
    return client


@pytest.fixture
def own_variant(seller):
    return VariantFactory(product=ProductFactory(seller=seller, title="My Lamp"), sku="MINE-1", stock=4)


@pytest.fixture
def foreign_variant(other_seller):
    return VariantFactory(product=ProductFactory(seller=other_seller, title="Their Lamp"), sku="THEIRS-1", stock=4)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client
