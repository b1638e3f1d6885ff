"""The refund cap under real concurrency: a cancellation approved (several times), issue
compensations (to the payment and as store credit) and partial refunds (as returns make), all at
once on one order, never give back more than was paid, and never deadlock."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from common.exceptions import InvalidTransitionError
from orders.exceptions import CancellationFeeError
from orders.models import CancellationStatus, OrderCancellation, OrderState
from orders.services import cancellation_approve, cancellation_request, issue_report, issue_resolve
from payments.exceptions import OrderRefundCapError
from payments.models import Payment, Refund, RefundDestination, Wallet
from payments.services import order_refund
from tests.factories.commerce import VariantFactory

from .cancel_helpers import ship
from .conftest import funded_user, ledger_sum, place
from .test_concurrency import assert_no_unexpected_errors, race

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("round_", range(3))
def test_parallel_cancellation_compensation_and_refunds_never_exceed_what_was_paid(superuser, round_):
    customer = funded_user("100.00")
    variant = VariantFactory(price=Decimal("30.00"), stock=10)
    order = ship(place(customer, variant, 2), superuser)  # 60.00 paid, shipped
    cancellation = cancellation_request(order_id=order.pk, user=customer).cancellation
    issues = [
        issue_report(order_id=order.pk, user=customer, issue_type="damaged", description=f"Box {n}") for n in range(4)
    ]

    calls = [lambda: cancellation_approve(cancellation_id=cancellation.pk, actor=superuser, fee="2.00")] * 3
    calls += [
        (
            lambda issue=issue, n=n: issue_resolve(
                issue_id=issue.pk,
                actor=superuser,
                resolution_notes="Sorry",
                compensation="15.00",
                destination=RefundDestination.WALLET if n % 2 else RefundDestination.ORIGINAL,
            )
        )
        for n, issue in enumerate(issues)
    ]
    calls += [
        (lambda n=n: order_refund(order_id=order.pk, amount="10.00", reason="return", actor=None, reference=f"r:{n}"))
        for n in range(6)
    ]
    outcomes = race(calls, workers=len(calls))

    assert_no_unexpected_errors(outcomes, OrderRefundCapError, InvalidTransitionError, CancellationFeeError)
    assert any(isinstance(o, OrderRefundCapError) for o in outcomes)  # more was asked than paid
    given_back = Refund.objects.filter(order=order).aggregate(s=Sum("amount"))["s"] or Decimal("0.00")
    payment = Payment.objects.get(order=order)
    assert given_back == payment.refunded_amount <= payment.amount == Decimal("60.00")
    assert Wallet.objects.get(user=customer).balance == Decimal("40.00") + given_back == ledger_sum(customer)
    # The cancellation was approved at most once; if it was, the order is cancelled.
    cancellation.refresh_from_db()
    order.refresh_from_db()
    approvals = [o for o in outcomes[:3] if isinstance(o, OrderCancellation)]
    assert len(approvals) <= 1
    if approvals:
        assert cancellation.status == CancellationStatus.COMPLETED and order.status_id == OrderState.CANCELLED
        assert given_back == Decimal("58.00")  # the fee of 2.00 stays whatever else was given back
    else:
        assert cancellation.status == CancellationStatus.REQUESTED and order.status_id == OrderState.SHIPPED
