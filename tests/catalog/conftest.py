"""Fixtures for the catalogue tests: a seller, a small category tree and a product builder."""

from decimal import Decimal

import pytest

from catalog.models import ProductImage
from tests.factories.accounts import SellerFactory
from tests.factories.commerce import CategoryFactory, ProductFactory, VariantFactory


@pytest.fixture
def seller(db):
    return SellerFactory()


@pytest.fixture
def tree(db):
    """Electronics > Audio > Headphones, and Garden beside it."""
    electronics = CategoryFactory(name="Electronics", slug="electronics")
    audio = CategoryFactory(name="Audio", slug="audio", parent=electronics)
    headphones = CategoryFactory(name="Headphones", slug="headphones", parent=audio)
    garden = CategoryFactory(name="Garden", slug="garden")
    return {"electronics": electronics, "audio": audio, "headphones": headphones, "garden": garden}


@pytest.fixture
def make_product(db, seller):
    """A product with one variant per price given, `stock` units each and a primary image."""

    def make(title="Thing", *, prices=("19.99",), stock=10, category=None, image=True, **fields):
        product = ProductFactory(
            seller=fields.pop("seller", seller),
            title=title,
            base_price=Decimal(prices[0]),
            **({"category": category} if category else {}),
            **fields,
        )
        for index, price in enumerate(prices):
            VariantFactory(product=product, name=f"Option {index + 1}", price=Decimal(price), stock=stock)
        if image:
            ProductImage.objects.create(
                product=product,
                image_url=f"/static/img/products/{product.pk}.svg",
                alt_text=f"Picture of {title}",
                is_primary=True,
            )
        return product

    return make


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client
