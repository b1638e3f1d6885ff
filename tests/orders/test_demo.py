"""The orders demo data: placed through checkout, spread over five days, rolled up, with
cancellations and issues for the staff console's queues, idempotent."""

from decimal import Decimal
from io import StringIO

import pytest
from django.utils import timezone

from accounts import demo as accounts_demo
from orders import demo
from orders.models import (
    CancellationStatus,
    IssueStatus,
    Order,
    OrderCancellation,
    OrderHistory,
    OrderIssue,
    OrderState,
    OrderTracking,
    ProductDailySales,
    ShippingCarrier,
)
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
    queues = (OrderCancellation.objects.count(), OrderIssue.objects.count(), OrderHistory.objects.count())
    demo.seed(out)

    assert "demo orders already there" in out.getvalue()
    assert "demo cancellations and issues already there" in out.getvalue()
    assert Order.objects.count() == orders >= 25
    assert (OrderCancellation.objects.count(), OrderIssue.objects.count(), OrderHistory.objects.count()) == queues
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


def test_seed_makes_a_cancellation_and_an_issue_of_each_kind_through_the_services(db):
    out = StringIO()
    accounts_demo.seed(out)
    payments_demo.seed(out)
    for n in range(12):
        VariantFactory(price=Decimal(f"{n + 5}.00"), stock=60)

    demo.seed(out)
    demo.seed(out)

    marked = [notes for notes, _reason, _approve in demo.DEMO_CANCELLATIONS]
    cancellations = OrderCancellation.objects.filter(notes__in=marked).select_related("order")
    assert sorted(c.status for c in cancellations) == [CancellationStatus.COMPLETED, CancellationStatus.REQUESTED]
    for cancellation in cancellations:
        # Asked by the order's customer after it shipped; staff approved one, which cancelled and refunded it.
        assert cancellation.requested_by == cancellation.order.customer
        assert cancellation.order.shipments.exists()
        if cancellation.status == CancellationStatus.COMPLETED:
            assert cancellation.order.status_id == OrderState.CANCELLED and cancellation.refund_amount > 0
            assert cancellation.decided_by.email == accounts_demo.ADMIN_EMAIL
        else:
            assert cancellation.order.status_id == OrderState.SHIPPED
    marked = [description for description, *_rest in demo.DEMO_ISSUES]
    issues = OrderIssue.objects.filter(description__in=marked).select_related("order")
    assert sorted(issue.status for issue in issues) == [IssueStatus.REPORTED, IssueStatus.RESOLVED]
    resolved = issues.get(status=IssueStatus.RESOLVED)
    assert resolved.compensation_amount == demo.DEMO_ISSUE_COMPENSATION
    assert resolved.assigned_to.email == accounts_demo.ADMIN_EMAIL and resolved.resolution_notes
    assert {issue.order.status_id for issue in issues} == {OrderState.DELIVERED}
    for wallet in Wallet.objects.select_related("user"):
        assert wallet.balance == ledger_sum(wallet.user) >= 0


def test_seed_without_products_says_so(db):
    out = StringIO()
    demo.seed(out)
    assert "no products in stock yet" in out.getvalue()
    assert Order.objects.count() == 0
