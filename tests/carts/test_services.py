"""The cart services: adding, changing, removing, the limits, and checkout from the cart."""

import uuid
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from carts.exceptions import CartEmptyError, CartItemInvalidError
from carts.models import Cart, CartItem, CartStatus
from carts.selectors import cart_for_page
from carts.services import cart_add_item, cart_item_remove, cart_item_set_quantity
from catalog.models import VariantStatus
from common.exceptions import NotFoundError
from inventory.exceptions import InsufficientStockError
from inventory.models import InventoryItem
from orders.models import Order, OrderState
from orders.services import order_place_from_cart
from payments.exceptions import InsufficientBalanceError
from payments.models import Wallet
from promotions.models import IssuedCoupon
from promotions.services import coupon_claim
from tests.factories.commerce import CouponFactory, VariantFactory
from tests.orders.conftest import funded_user

pytestmark = pytest.mark.django_db


def test_first_add_makes_one_active_cart_with_the_item_at_the_catalogue_price(customer, variant):
    item = cart_add_item(user=customer, variant_id=variant.pk, quantity=2)

    cart = Cart.objects.get(customer=customer)
    assert cart.status == CartStatus.ACTIVE
    assert (item.quantity, item.unit_price) == (2, Decimal("20.00"))
    item.refresh_from_db()
    assert item.total_price == Decimal("40.00")
    assert cart.total_amount == Decimal("40.00")


def test_adding_the_same_variant_again_adds_to_its_line(customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    item = cart_add_item(user=customer, variant_id=variant.pk, quantity=3)

    assert CartItem.objects.filter(cart__customer=customer).count() == 1
    assert item.quantity == 5
    assert Cart.objects.get(customer=customer).total_amount == Decimal("100.00")


@pytest.mark.parametrize("quantity", [0, -1, 100, 1.5, "2", True, None])
def test_a_bad_quantity_is_refused_and_nothing_is_written(customer, variant, quantity):
    with pytest.raises(CartItemInvalidError):
        cart_add_item(user=customer, variant_id=variant.pk, quantity=quantity)
    assert not Cart.objects.exists()


def test_the_per_line_limit_counts_what_the_cart_holds_already(customer, variant, settings):
    settings.ORDER_MAX_LINE_QUANTITY = 5
    cart_add_item(user=customer, variant_id=variant.pk, quantity=4)
    with pytest.raises(CartItemInvalidError, match="At most 5"):
        cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    assert CartItem.objects.get().quantity == 4


def test_a_full_cart_takes_no_new_line(customer, settings):
    settings.ORDER_MAX_LINES = 2
    first, second, third = VariantFactory.create_batch(3)
    cart_add_item(user=customer, variant_id=first.pk, quantity=1)
    cart_add_item(user=customer, variant_id=second.pk, quantity=1)
    with pytest.raises(CartItemInvalidError, match="at most 2"):
        cart_add_item(user=customer, variant_id=third.pk, quantity=1)
    assert CartItem.objects.count() == 2


def test_a_variant_not_for_sale_or_unknown_is_refused(customer):
    hidden = VariantFactory(status=VariantStatus.DISCONTINUED)
    for variant_id in (hidden.pk, 10**9, 0, "1"):
        with pytest.raises(CartItemInvalidError):
            cart_add_item(user=customer, variant_id=variant_id, quantity=1)
    assert not CartItem.objects.exists()


def test_set_quantity_changes_the_line_and_zero_removes_it(customer, variant):
    item = cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    cart_item_set_quantity(user=customer, item_id=item.pk, quantity=7)
    assert Cart.objects.get().total_amount == Decimal("140.00")

    assert cart_item_set_quantity(user=customer, item_id=item.pk, quantity=0) is None
    assert not CartItem.objects.exists()  # hidden: soft-deleted
    assert CartItem.all_objects.get(pk=item.pk).deleted_at is not None
    assert Cart.objects.get().total_amount == Decimal("0.00")


def test_a_removed_variant_can_be_added_again_as_a_new_line(customer, variant):
    item = cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    cart_item_remove(user=customer, item_id=item.pk)
    again = cart_add_item(user=customer, variant_id=variant.pk, quantity=1)
    assert again.pk != item.pk
    assert again.quantity == 1


def test_another_customers_item_is_not_found_and_unchanged(customer, variant):
    item = cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    intruder = funded_user()
    with pytest.raises(NotFoundError):
        cart_item_set_quantity(user=intruder, item_id=item.pk, quantity=9)
    with pytest.raises(NotFoundError):
        cart_item_remove(user=intruder, item_id=item.pk)
    item.refresh_from_db()
    assert (item.quantity, item.deleted_at) == (2, None)


def test_the_database_allows_one_active_cart_per_customer(customer):
    Cart.objects.create(customer=customer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Cart.objects.create(customer=customer)
    Cart.objects.create(customer=customer, status=CartStatus.COMPLETED)  # history is fine


def test_the_page_shows_todays_price_and_notes_a_change(customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    variant.price = Decimal("25.00")
    variant.save()

    view = cart_for_page(user=customer)
    (line,) = view.lines
    assert (line.price_now, line.line_total, line.price_changed) == (Decimal("25.00"), Decimal("50.00"), True)
    assert (view.total, view.item_count) == (Decimal("50.00"), 2)


def test_checkout_orders_the_whole_cart_at_todays_prices_and_closes_it(customer, variant):
    other = VariantFactory(price=Decimal("5.50"), stock=10)
    cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    cart_add_item(user=customer, variant_id=other.pk, quantity=3)

    placed = order_place_from_cart(user=customer, idempotency_key=uuid.uuid4().hex)

    order = placed.order
    assert placed.created and order.status_id == OrderState.PAID
    assert sorted(order.items.values_list("variant_id", "quantity")) == sorted([(variant.pk, 2), (other.pk, 3)])
    assert order.total_amount == Decimal("56.50")
    assert Wallet.objects.get(user=customer).balance == Decimal("443.50")
    assert Cart.objects.get(customer=customer).status == CartStatus.COMPLETED
    # The next add starts a new cart.
    cart_add_item(user=customer, variant_id=variant.pk, quantity=1)
    assert Cart.objects.filter(customer=customer, status=CartStatus.ACTIVE).count() == 1


def test_checkout_with_a_coupon_uses_it(customer, variant):
    coupon = CouponFactory(discount_type="amount", discount_value=Decimal("5.00"))
    issued = coupon_claim(coupon_id=coupon.pk, user=customer)
    cart_add_item(user=customer, variant_id=variant.pk, quantity=1)

    order = order_place_from_cart(user=customer, coupon_ref=issued.pk, idempotency_key="k1").order

    assert (order.discount_amount, order.total_amount) == (Decimal("5.00"), Decimal("15.00"))
    assert IssuedCoupon.objects.get(pk=issued.pk).used_at is not None


def test_the_same_key_again_answers_with_the_first_order(customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=1)
    first = order_place_from_cart(user=customer, idempotency_key="same")
    again = order_place_from_cart(user=customer, idempotency_key="same")
    assert (first.created, again.created) == (True, False)
    assert again.order.pk == first.order.pk
    assert Order.objects.count() == 1


def test_an_empty_cart_cannot_be_checked_out(customer):
    with pytest.raises(CartEmptyError):
        order_place_from_cart(user=customer, idempotency_key="x")
    assert not Order.objects.exists()


@pytest.mark.parametrize("problem", ["stock", "wallet"])
def test_a_refused_checkout_changes_nothing_and_keeps_the_cart(variant, problem):
    customer = funded_user("10.00" if problem == "wallet" else "500.00")
    cart_add_item(user=customer, variant_id=variant.pk, quantity=3 if problem == "wallet" else 1)
    if problem == "stock":
        InventoryItem.objects.filter(variant=variant).update(quantity=0)
    error = InsufficientBalanceError if problem == "wallet" else InsufficientStockError

    with pytest.raises(error):
        order_place_from_cart(user=customer, idempotency_key="k")

    assert not Order.objects.exists()
    cart = Cart.objects.get(customer=customer)
    assert cart.status == CartStatus.ACTIVE and cart.items.count() == 1
    assert Wallet.objects.get(user=customer).balance == Decimal("10.00" if problem == "wallet" else "500.00")
