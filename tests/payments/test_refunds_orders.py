"""The Orders issue's doors to the refund cap, for an order paid by card: a cancellation, a return
and an issue's compensation give the money back to the card (through the gateway), or as store
credit to the wallet when asked; never both, never more than was paid."""

from decimal import Decimal

import pytest

from orders.services import issue_report, issue_resolve, order_cancel, return_approve, return_inspect, return_receive
from orders.services import return_refund as rma_refund
from payments.models import PaymentStatus, Refund, RefundDestination, RefundStatus
from tests.factories.commerce import VariantFactory
from tests.orders.cancel_helpers import ship
from tests.orders.conftest import funded_user, ledger_sum, place
from tests.orders.returns_helpers import deliver, request_return

from .helpers import balance_of
from .refunds_helpers import pay_by_card_instead, processor_refunded

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return funded_user("100.00")


@pytest.fixture
def card_order(customer):
    """An order of two of 20.00 paid by card (captured at the sandbox)."""
    order = place(customer, VariantFactory(price=Decimal("20.00"), stock=10), 2)
    payment = pay_by_card_instead(order)
    return order, payment


def test_a_cancellation_gives_the_money_back_to_the_card(card_order, customer, django_capture_on_commit_callbacks):
    order, payment = card_order
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=order.pk, user=customer, reason="changed my mind")

    [refund] = Refund.objects.filter(order=order)
    payment.refresh_from_db()
    assert (refund.status, refund.destination, refund.amount) == (
        RefundStatus.COMPLETED,
        "original",
        order.total_amount,
    )
    assert (payment.refunded_amount, payment.status) == (order.total_amount, PaymentStatus.REFUNDED)
    assert processor_refunded(payment) == order.total_amount
    assert balance_of(customer) == Decimal("100.00") == ledger_sum(customer)  # the wallet got nothing


def test_a_return_refunds_the_card(card_order, customer, superuser, django_capture_on_commit_callbacks):
    order, payment = card_order
    deliver(order, superuser)
    rma = request_return(order, customer, quantity=1)
    return_approve(return_id=rma.pk, actor=superuser)
    return_receive(return_id=rma.pk, actor=superuser)
    return_inspect(return_id=rma.pk, actor=superuser, condition_rating=5)
    with django_capture_on_commit_callbacks(execute=True):
        rma = rma_refund(return_id=rma.pk, actor=superuser)

    [refund] = Refund.objects.filter(order=order)
    assert refund.reference == f"return:{rma.pk}" and refund.status == RefundStatus.COMPLETED
    assert refund.amount == rma.refund_amount > 0
    assert processor_refunded(payment) == rma.refund_amount
    assert balance_of(customer) == Decimal("100.00")


@pytest.mark.parametrize("destination", [RefundDestination.ORIGINAL, RefundDestination.WALLET])
def test_issue_compensation_goes_where_staff_said(
    card_order, customer, superuser, destination, django_capture_on_commit_callbacks
):
    order, payment = card_order
    ship(order, superuser)
    issue = issue_report(order_id=order.pk, user=customer, issue_type="damaged", description="Dented box")
    with django_capture_on_commit_callbacks(execute=True):
        issue_resolve(
            issue_id=issue.pk, actor=superuser, resolution_notes="Sorry", compensation="7.50", destination=destination
        )

    [refund] = Refund.objects.filter(order=order)
    assert (refund.status, refund.destination) == (RefundStatus.COMPLETED, destination)
    to_card = destination == RefundDestination.ORIGINAL
    assert processor_refunded(payment) == (Decimal("7.50") if to_card else Decimal("0"))
    assert balance_of(customer) == (Decimal("100.00") if to_card else Decimal("107.50")) == ledger_sum(customer)
    payment.refresh_from_db()
    assert (payment.refunded_amount, payment.status) == (Decimal("7.50"), PaymentStatus.PARTIALLY_REFUNDED)
