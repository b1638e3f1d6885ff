"""Carts under real concurrency (threads, each with its own PostgreSQL connection): parallel adds
make one cart and lose no unit; a double-submitted cart checkout makes one order."""

import pytest

from carts.models import Cart, CartItem, CartStatus
from carts.services import cart_add_item
from orders.models import Order
from orders.services import PlacedOrder, order_place_from_cart
from payments.models import EntryType, Payment, PaymentStatus, Wallet, WalletEntry
from tests.factories.commerce import VariantFactory
from tests.orders.conftest import funded_user
from tests.orders.test_concurrency import race

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def test_parallel_first_adds_make_one_cart_and_count_every_unit():
    customer = funded_user()
    variants = VariantFactory.create_batch(2)
    calls = [(lambda v=variants[i % 2]: cart_add_item(user=customer, variant_id=v.pk, quantity=1)) for i in range(20)]

    outcomes = race(calls, workers=20)

    assert [o for o in outcomes if isinstance(o, Exception)] == []
    cart = Cart.objects.get(customer=customer)
    assert sorted(CartItem.objects.filter(cart=cart).values_list("quantity", flat=True)) == [10, 10]
    cart.refresh_from_db()
    assert cart.total_amount == sum(v.price for v in variants) * 10


def test_a_double_submitted_cart_checkout_makes_one_order_and_one_payment():
    customer = funded_user("500.00")
    variant = VariantFactory(stock=50)
    cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    balance = Wallet.objects.get(user=customer).balance

    outcomes = race([lambda: order_place_from_cart(user=customer, idempotency_key="one-click")] * 10, workers=10)

    assert all(isinstance(o, PlacedOrder) for o in outcomes), outcomes
    assert sum(o.created for o in outcomes) == 1
    assert len({o.order.pk for o in outcomes}) == 1
    assert Order.objects.filter(customer=customer).count() == 1
    assert Wallet.objects.get(user=customer).balance == balance - variant.price * 2
    assert Cart.objects.get(customer=customer).status == CartStatus.COMPLETED
    # One payment: one captured Payment with one capture, and one wallet debit, for that order.
    order = Order.objects.get(customer=customer)
    payments = list(Payment.objects.filter(user=customer))
    assert len(payments) == 1, payments
    payment = payments[0]
    assert (payment.order_id, payment.status, payment.amount) == (order.pk, PaymentStatus.CAPTURED, order.total_amount)
    assert payment.transactions.count() == 1
    debits = WalletEntry.objects.filter(wallet__user=customer, entry_type=EntryType.USE)
    assert list(debits.values_list("order_id", "amount")) == [(order.pk, order.total_amount)]


def test_a_guests_adds_racing_the_merge_are_neither_lost_nor_counted_twice():
    """Adds to the guest's cart (another tab) while the guest signs in: each either lands before
    the merge and moves with it, or waits on the cart's lock, finds it merged and is refused
    (the shopper is told to add again). No unit ends in a cart nobody sees, none twice."""
    from accounts.models import Guest
    from carts.exceptions import CartMergedError
    from carts.services import MergeResult, cart_merge

    for _round in range(5):
        customer = funded_user()
        guest = Guest.objects.create(session_key=f"race-{customer.pk}")
        variant = VariantFactory(stock=100)
        cart_add_item(guest=guest, variant_id=variant.pk, quantity=1)
        cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
        adds = [(lambda g=guest, v=variant: cart_add_item(guest=g, variant_id=v.pk, quantity=1))] * 8
        outcomes = race([lambda g=guest, c=customer: cart_merge(guest=g, user=c), *adds], workers=9)

        merged = [o for o in outcomes if isinstance(o, MergeResult)]
        added = [o for o in outcomes[1:] if isinstance(o, CartItem)]
        refused = [o for o in outcomes[1:] if isinstance(o, CartMergedError)]
        assert len(merged) == 1 and len(added) + len(refused) == 8, outcomes
        line = CartItem.objects.get(cart__customer=customer, cart__status=CartStatus.ACTIVE)
        assert line.quantity == 2 + 1 + len(added)
        assert merged[0].added == 1 + len(added)
        assert not CartItem.objects.filter(cart__guest=guest, cart__status=CartStatus.ACTIVE).exists()
        assert Cart.objects.get(guest=guest).status == CartStatus.MERGED
