"""One meaning of "this variant can be ordered": ProductVariant.objects.orderable().

The cart and the checkout both ask it, so a variant either goes in the cart and can be ordered,
or is refused by both.
"""

import pytest
from django.utils import timezone

from carts.exceptions import CartItemInvalidError
from carts.services import cart_add_item
from catalog.models import Product, ProductStatus, ProductVariant, VariantStatus
from orders.exceptions import ProductUnavailableError
from orders.services import order_place
from tests.factories.commerce import ProductFactory, VariantFactory
from tests.orders.conftest import funded_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def variants_of_every_kind() -> dict[str, ProductVariant]:
    kinds = {
        "active": VariantFactory(),
        "variant out of stock": VariantFactory(status=VariantStatus.OUT_OF_STOCK),
        "variant discontinued": VariantFactory(status=VariantStatus.DISCONTINUED),
        "variant deleted": VariantFactory(),
        "product draft": VariantFactory(product=ProductFactory(status=ProductStatus.DRAFT)),
        "product inactive": VariantFactory(product=ProductFactory(status=ProductStatus.INACTIVE)),
        "product deleted": VariantFactory(),
    }
    ProductVariant.objects.filter(pk=kinds["variant deleted"].pk).update(deleted_at=timezone.now())
    Product.objects.filter(pk=kinds["product deleted"].product_id).update(deleted_at=timezone.now())
    return kinds


def test_orderable_is_an_active_variant_of_an_active_product_neither_deleted(variants_of_every_kind):
    assert list(ProductVariant.objects.orderable()) == [variants_of_every_kind["active"]]


@pytest.mark.parametrize(
    "kind",
    [
        "active",
        "variant out of stock",
        "variant discontinued",
        "variant deleted",
        "product draft",
        "product inactive",
        "product deleted",
    ],
)
def test_the_cart_and_the_checkout_take_exactly_the_orderable(variants_of_every_kind, kind):
    variant = variants_of_every_kind[kind]
    user = funded_user()
    lines = [{"variant_id": variant.pk, "quantity": 1}]

    if kind == "active":
        assert cart_add_item(user=user, variant_id=variant.pk, quantity=1).variant_id == variant.pk
        assert order_place(user=user, lines=lines).order.items.get().variant_id == variant.pk
    else:
        with pytest.raises(CartItemInvalidError):
            cart_add_item(user=user, variant_id=variant.pk, quantity=1)
        with pytest.raises(ProductUnavailableError):
            order_place(user=user, lines=lines)
