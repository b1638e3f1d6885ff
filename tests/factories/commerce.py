"""Factories for the core commerce models. Prices are Decimal strings, never floats."""

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from catalog.models import Category, Product, ProductStatus, ProductVariant
from inventory.models import InventoryItem, Warehouse
from payments.models import Wallet
from promotions.models import Coupon, DiscountType

from .accounts import SellerFactory, UserFactory


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    seller = factory.SubFactory(SellerFactory)
    category = factory.SubFactory(CategoryFactory)
    title = factory.Sequence(lambda n: f"Product {n}")
    base_price = Decimal("19.99")
    status = ProductStatus.ACTIVE


class VariantFactory(DjangoModelFactory):
    """A variant with `stock` units in the default warehouse (pass stock=0 for none)."""

    class Meta:
        model = ProductVariant
        skip_postgeneration_save = True

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:06d}")
    name = "Standard"
    price = Decimal("19.99")

    @factory.post_generation
    def stock(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            quantity = 10 if extracted is None else extracted
            InventoryItem.objects.create(
                variant=obj, warehouse=Warehouse.objects.get(is_default=True), quantity=quantity
            )


class WalletFactory(DjangoModelFactory):
    """A funded wallet; use payments.services.wallet_charge in tests that check the ledger."""

    class Meta:
        model = Wallet

    user = factory.SubFactory(UserFactory)
    balance = Decimal("0.00")


class CouponFactory(DjangoModelFactory):
    class Meta:
        model = Coupon

    name = factory.Sequence(lambda n: f"Coupon {n}")
    code = factory.Sequence(lambda n: f"SAVE{n:04d}")
    discount_type = DiscountType.AMOUNT
    discount_value = Decimal("5.00")
    initial_quantity = 100
    quantity = factory.SelfAttribute("initial_quantity")


# --- pricing: shipping rules and tax rates


class ShippingRuleFactory(DjangoModelFactory):
    """An active rule for every destination (country "") unless given one."""

    class Meta:
        model = "orders.ShippingRule"

    name = factory.Sequence(lambda n: f"Delivery {n}")
    country = ""
    flat_rate = Decimal("5.00")
    per_kg = Decimal("0.00")
    free_over = None


class TaxRateFactory(DjangoModelFactory):
    class Meta:
        model = "orders.TaxRate"

    name = "VAT"
    country = "US"
    region = ""
    rate = Decimal("20.000")
