from decimal import Decimal

import pytest
from django.core import mail

from inventory.exceptions import InsufficientStockError
from inventory.models import ChangeType, InventoryHistory, InventoryItem
from orders.models import Order, OrderHistory, OrderState, ProductSaleStat
from orders.services import order_cancel, order_place
from payments.exceptions import InsufficientBalanceError
from payments.models import EntryType, Payment, PaymentStatus, Wallet, WalletEntry
from payments.services import wallet_charge
from promotions.exceptions import CouponNotUsableError
from promotions.models import IssuedCoupon
from promotions.services import coupon_claim
from tests.factories.accounts import UserFactory
from tests.factories.commerce import CouponFactory, VariantFactory

pytestmark = pytest.mark.django_db


def _ledger_sum(user) -> Decimal:
    return sum((e.signed_amount for e in WalletEntry.objects.filter(wallet__user=user)), Decimal("0"))


def test_order_takes_stock_uses_coupon_debits_wallet_and_queues_confirmation(django_capture_on_commit_callbacks):
    user = UserFactory()
    wallet_charge(user=user, amount="100.00")
    shirt = VariantFactory(price=Decimal("30.00"), stock=5)
    mug = VariantFactory(price=Decimal("12.50"), stock=3)
    issued = coupon_claim(coupon_id=CouponFactory(discount_value=Decimal("10.00")).pk, user=user)

    with django_capture_on_commit_callbacks(execute=True):
        placed = order_place(
            user=user,
            lines=[{"variant_id": shirt.pk, "quantity": 2}, {"variant_id": mug.pk, "quantity": 1}],
            coupon_ref=issued.pk,
        )

    order = placed.order
    assert placed.created
    assert order.status_id == OrderState.PAID
    assert order.order_number.startswith(f"OM-{order.paid_at.year}-")
    assert (order.subtotal, order.discount_amount, order.total_amount) == (
        Decimal("72.50"),
        Decimal("10.00"),
        Decimal("62.50"),
    )
    assert InventoryItem.objects.get(variant=shirt).quantity == 3
    assert InventoryItem.objects.get(variant=mug).quantity == 2
    assert Wallet.objects.get(user=user).balance == Decimal("37.50") == _ledger_sum(user)
    issued.refresh_from_db()
    assert issued.used_at is not None and issued.order_id == order.pk
    assert Payment.objects.get(order=order).status == PaymentStatus.CAPTURED
    assert sum(ProductSaleStat.objects.values_list("quantity", flat=True)) == 3
    assert list(OrderHistory.objects.filter(order=order).values_list("new_value", flat=True)) == ["pending", "paid"]
    assert len(mail.outbox) == 1 and order.order_number in mail.outbox[0].subject


def test_failed_order_changes_nothing():
    user = UserFactory()
    wallet_charge(user=user, amount="10.00")
    variant = VariantFactory(price=Decimal("30.00"), stock=5)

    with pytest.raises(InsufficientBalanceError):
        order_place(user=user, lines=[{"variant_id": variant.pk, "quantity": 1}])
    with pytest.raises(InsufficientStockError):
        order_place(user=user, lines=[{"variant_id": variant.pk, "quantity": 6}])

    assert Order.objects.count() == 0
    assert InventoryItem.objects.get(variant=variant).quantity == 5
    assert InventoryHistory.objects.filter(change_type=ChangeType.SALE).count() == 0
    assert Wallet.objects.get(user=user).balance == Decimal("10.00") == _ledger_sum(user)


def test_coupon_below_minimum_is_refused_with_reason():
    user = UserFactory()
    wallet_charge(user=user, amount="100.00")
    variant = VariantFactory(price=Decimal("20.00"))
    issued = coupon_claim(coupon_id=CouponFactory(minimum_order_value=Decimal("50.00")).pk, user=user)

    with pytest.raises(CouponNotUsableError) as error:
        order_place(user=user, lines=[{"variant_id": variant.pk, "quantity": 1}], coupon_ref=issued.pk)

    assert "at least 50.00" in str(error.value.message)
    assert IssuedCoupon.objects.get(pk=issued.pk).used_at is None


def test_same_idempotency_key_returns_the_first_order():
    user = UserFactory()
    wallet_charge(user=user, amount="100.00")
    variant = VariantFactory(price=Decimal("20.00"))
    lines = [{"variant_id": variant.pk, "quantity": 1}]

    first = order_place(user=user, lines=lines, idempotency_key="abc")
    again = order_place(user=user, lines=lines, idempotency_key="abc")

    assert again.order.pk == first.order.pk and not again.created
    assert Order.objects.count() == 1
    assert Wallet.objects.get(user=user).balance == Decimal("80.00")


def test_cancel_restores_stock_wallet_and_coupon():
    user = UserFactory()
    wallet_charge(user=user, amount="100.00")
    variant = VariantFactory(price=Decimal("20.00"), stock=4)
    issued = coupon_claim(coupon_id=CouponFactory().pk, user=user)
    order = order_place(user=user, lines=[{"variant_id": variant.pk, "quantity": 2}], coupon_ref=issued.pk).order

    order_cancel(order_id=order.pk, user=user, reason="Changed my mind")

    order.refresh_from_db()
    assert order.status_id == OrderState.CANCELLED
    assert InventoryItem.objects.get(variant=variant).quantity == 4
    assert Wallet.objects.get(user=user).balance == Decimal("100.00") == _ledger_sum(user)
    assert WalletEntry.objects.filter(wallet__user=user, entry_type=EntryType.REFUND).count() == 1
    assert IssuedCoupon.objects.get(pk=issued.pk).used_at is None
    assert sum(ProductSaleStat.objects.values_list("quantity", flat=True)) == 0
    assert list(order.history.values_list("new_value", flat=True)) == ["pending", "paid", "cancelled"]
