import io

import pytest

from catalog import demo as catalog_demo
from catalog.models import Category, Product, ProductImage, ProductVariant
from inventory import demo as inventory_demo
from inventory.models import InventoryHistory, InventoryItem
from tests.factories.accounts import SellerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_seller(db):
    return SellerFactory(user=UserFactory(email=catalog_demo.DEMO_SELLER_EMAIL))


def seed_both() -> str:
    out = io.StringIO()
    catalog_demo.seed(out)
    inventory_demo.seed(out)
    return out.getvalue()


def test_seed_builds_the_catalogue_with_stock(demo_seller):
    output = seed_both()

    assert "200 demo products" in output
    assert Product.objects.filter(seller=demo_seller).count() == 200
    assert Category.objects.filter(parent__isnull=True).count() == 4
    assert Category.objects.filter(parent__isnull=False).count() == 12
    variants = ProductVariant.objects.filter(product__seller=demo_seller)
    assert 200 < variants.count() <= 600
    assert ProductImage.objects.filter(is_primary=True).count() == 200
    assert all(
        url.startswith("/static/img/products/") for url in ProductImage.objects.values_list("image_url", flat=True)
    )
    assert InventoryItem.objects.count() == variants.count()
    assert InventoryItem.objects.filter(quantity=0).exists()  # some sold out
    assert InventoryItem.objects.filter(status="low_stock").exists()  # some low
    # every unit came in through stock_restock, so the ledger adds up
    assert (
        InventoryHistory.objects.filter(change_type="restock").count()
        == InventoryItem.objects.filter(quantity__gt=0).count()
    )


def test_seed_is_idempotent(demo_seller):
    seed_both()
    counts = (
        Category.objects.count(),
        Product.objects.count(),
        ProductVariant.objects.count(),
        ProductImage.objects.count(),
        InventoryItem.objects.count(),
        InventoryHistory.objects.count(),
    )

    output = seed_both()

    assert "already there" in output
    assert counts == (
        Category.objects.count(),
        Product.objects.count(),
        ProductVariant.objects.count(),
        ProductImage.objects.count(),
        InventoryItem.objects.count(),
        InventoryHistory.objects.count(),
    )


def test_seed_without_the_demo_seller_does_nothing():
    output = seed_both()

    assert "no seller" in output
    assert not Product.objects.exists()


def test_demo_quantities_include_sold_out_and_low():
    quantities = [inventory_demo.demo_quantity(f"DEMO-{n:03d}-1") for n in range(1, 50)]

    assert 0 in quantities
    assert any(0 < q <= 5 for q in quantities)
    assert any(q > 10 for q in quantities)
