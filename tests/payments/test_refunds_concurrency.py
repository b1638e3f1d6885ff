"""The refund cap under real concurrency with a card payment: refunds to the card (each a gateway
call after commit, made by its thread) and store credit, asked at once through both doors
(`refund_request`, `order_refund`), never give back more than was captured, and the processor
gives back exactly what the completed card refunds say."""

from decimal import Decimal

import pytest
from django.db import OperationalError
from django.db.models import Sum

from payments.exceptions import RefundExceedsPaymentError
from payments.models import Payment, Refund, RefundDestination, RefundStatus
from payments.services import order_refund, wallet_charge
from payments.services.refunds import refund_request
from tests.factories.accounts import CustomerFactory

from .helpers import balance_of, ledger_sum, order_for, run_concurrently
from .refunds_helpers import card_payment, processor_refund_calls, processor_refunded

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def _sum(refunds) -> Decimal:
    return refunds.aggregate(s=Sum("amount"))["s"] or Decimal("0.00")


@pytest.mark.parametrize("round_", range(2))
def test_parallel_card_refunds_and_store_credit_never_exceed_what_was_captured(round_):
    customer = CustomerFactory().user
    wallet_charge(user=customer, amount="5.00")
    payment = card_payment(order_for(customer, "60.00"))

    def by_payment(n: int):
        destination = RefundDestination.WALLET if n % 3 == 0 else RefundDestination.ORIGINAL
        return lambda: refund_request(
            payment_id=payment.pk, amount="10.00", reason=f"r{n}", actor=None, destination=destination
        )

    def by_order(n: int):
        destination = RefundDestination.WALLET if n % 2 else RefundDestination.ORIGINAL
        return lambda: order_refund(
            order_id=payment.order_id, amount="10.00", reason=f"o{n}", actor=None, destination=destination
        )

    calls = [by_payment(n) for n in range(6)] + [by_order(n) for n in range(6)]
    outcomes = run_concurrently(calls, workers=len(calls))

    errors = [value for kind, value in outcomes if kind == "error"]
    assert all(isinstance(e, RefundExceedsPaymentError) for e in errors), errors[:3]
    assert not any(isinstance(e, OperationalError) for e in errors)  # no deadlock
    assert len(errors) == 6  # 60.00 captured: six refunds of 10.00, no more

    payment.refresh_from_db()
    refunds = Refund.objects.filter(payment=payment)
    assert set(refunds.values_list("status", flat=True)) == {RefundStatus.COMPLETED}  # every task ran
    assert _sum(refunds) == payment.refunded_amount == Decimal("60.00") == payment.captured_amount
    to_card = refunds.filter(destination=RefundDestination.ORIGINAL)
    assert processor_refunded(payment) == _sum(to_card)
    assert processor_refund_calls(payment) == to_card.count()
    store_credit = _sum(refunds.filter(destination=RefundDestination.WALLET))
    assert balance_of(customer) == Decimal("5.00") + store_credit == ledger_sum(customer)
    assert Payment.objects.get(pk=payment.pk).status == "refunded"
