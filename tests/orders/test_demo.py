"""The orders demo data: placed through checkout, spread over five days, rolled up, idempotent."""

from decimal import Decimal
from io import StringIO

import pytest
from django.utils import timezone

from accounts import demo as accounts_demo
from orders import demo
from orders.models import Order, OrderState, OrderTracking, ProductDailySales, ShippingCarrier
from orders.selectors import popular_products
from payments import demo as payments_demo
from payments.models import Wallet
from tests.factories.commerce import VariantFactory

from .conftest import ledger_sum

pytestmark = pytest.mark.django_db


def test_seed_places_back_dated_orders_once_and_fills_popular_products(db):
    out = StringIO()
    accounts_demo.seed(out)
    payments_demo.seed(out)
    for n in range(12):
        VariantFactory(price=Decimal(f"{n + 5}.00"), stock=60)

    demo.seed(out)
    orders = Order.objects.count()
    demo.seed(out)

    assert "demo orders already there" in out.getvalue()
    assert Order.objects.count() == orders >= 25
    today = timezone.now().date()
    days = {(today - paid_at.date()).days for paid_at in Order.objects.values_list("paid_at", flat=True)}
    assert days == {0, 1, 2, 3, 4}
    assert set(Order.objects.values_list("status", flat=True)) >= {OrderState.PAID, OrderState.DELIVERED}
    # Shipped and delivered orders went out with a carrier and tracking, as a seller ships them.
    assert ShippingCarrier.objects.count() == len(demo.DEMO_CARRIERS)
    for order in Order.objects.filter(status__in=[OrderState.SHIPPED, OrderState.DELIVERED]):
        assert order.shipments.exists() and not order.items.filter(shipment_line__isnull=True).exists()
    assert not OrderTracking.objects.filter(delivered_at__gt=timezone.now()).exists()
    assert ProductDailySales.objects.filter(date__lt=today).exists()
    assert not ProductDailySales.objects.filter(date=today).exists()
    assert len(popular_products(days=3, limit=5)) == 5
    customer_wallet = Wallet.objects.get(user__email=accounts_demo.CUSTOMER_EMAIL)
    assert customer_wallet.balance >= Decimal("450.00")
    for wallet in Wallet.objects.select_related("user"):
        assert wallet.balance == ledger_sum(wallet.user) >= 0


def test_seed_without_products_says_so(db):
    out = StringIO()
    demo.seed(out)
    assert "no products in stock yet" in out.getvalue()
    assert Order.objects.count() == 0
