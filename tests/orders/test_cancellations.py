"""Cancellations at the service level: immediate before shipping, a request staff approve or reject
after; every step allowed and refused, with what changes (and what does not)."""

from decimal import Decimal

import pytest

from common.exceptions import InvalidTransitionError, NotFoundError
from inventory.models import InventoryItem
from orders.exceptions import (
    CancellationFeeError,
    CancellationPendingError,
    DecisionReasonRequiredError,
    OrderNotCancellableError,
)
from orders.models import (
    CancellationStatus,
    NotificationKind,
    OrderCancellation,
    OrderHistory,
    OrderState,
    ProductSaleStat,
)
from orders.services import (
    cancellation_approve,
    cancellation_reject,
    cancellation_request,
    order_cancel,
    order_place,
    order_transition,
    shipment_create,
)
from payments.models import Refund, RefundDestination, Wallet
from tests.factories.commerce import VariantFactory
from tests.factories.fulfilment import ShippingCarrierFactory

from .cancel_helpers import notifications_of, rendered, ship
from .conftest import ledger_sum, place

pytestmark = pytest.mark.django_db


def balance(user) -> Decimal:
    return Wallet.objects.get(user=user).balance


def test_before_shipping_a_cancellation_is_immediate_and_recorded_completed(customer, variant):
    order = place(customer, variant, 2)

    outcome = cancellation_request(
        order_id=order.pk, user=customer, reason="changed_mind", notes="No longer needed", ip_address="198.51.100.9"
    )

    assert outcome.immediate
    cancellation = outcome.cancellation
    assert (cancellation.status, cancellation.reason, cancellation.notes) == (
        "completed",
        "changed_mind",
        "No longer needed",
    )
    assert cancellation.refund_amount == Decimal("40.00") and cancellation.fee == Decimal("0.00")
    assert cancellation.approved_at and cancellation.completed_at and cancellation.decided_by is None
    order.refresh_from_db()
    assert order.status_id == OrderState.CANCELLED
    assert InventoryItem.objects.get(variant=variant).quantity == 10
    assert balance(customer) == Decimal("500.00") == ledger_sum(customer)
    status_row = order.history.last()
    assert (status_row.new_value, status_row.reason, status_row.ip_address) == (
        "cancelled",
        "No longer needed",
        "198.51.100.9",
    )
    assert [n.kind for n in notifications_of(order, NotificationKind.CANCELLATION)] == ["cancellation"]
    refund = Refund.objects.get(order=order)
    assert (refund.destination, refund.reference) == (RefundDestination.ORIGINAL, f"cancellation:{cancellation.pk}")


def test_order_cancel_keeps_its_contract_and_records_the_cancellation(customer, variant):
    order = place(customer, variant)
    order_cancel(order_id=order.pk, user=customer, reason="Changed my mind")
    assert OrderCancellation.objects.get(order=order).status == CancellationStatus.COMPLETED


def test_after_shipping_a_cancellation_is_a_request_and_nothing_else_changes(customer, superuser, variant):
    order = ship(place(customer, variant), superuser)

    outcome = cancellation_request(order_id=order.pk, user=customer, reason="too_slow", notes="Three weeks!")

    assert not outcome.immediate
    cancellation = outcome.cancellation
    assert cancellation.status == CancellationStatus.REQUESTED and cancellation.requested_by == customer
    order.refresh_from_db()
    assert order.status_id == OrderState.SHIPPED
    assert balance(customer) == Decimal("480.00")
    assert not Refund.objects.filter(order=order).exists()
    [queued] = notifications_of(order, NotificationKind.CANCELLATION_REQUESTED)
    assert queued.dedupe_key == f"order:{order.pk}:cancellation_requested:cancellation:{cancellation.pk}"
    assert queued.context == {"cancellation_id": cancellation.pk, "reason": "Delivery takes too long"}
    subject, body = rendered(queued)
    assert order.order_number in subject and "staff decide" in body
    entry = OrderHistory.objects.filter(order=order, change_type="cancellation").get()
    assert (entry.field_name, entry.new_value) == (f"cancellation:{cancellation.pk}", "requested")


def test_a_second_request_while_one_waits_is_refused(customer, superuser, variant):
    order = ship(place(customer, variant), superuser)
    first = cancellation_request(order_id=order.pk, user=customer).cancellation

    with pytest.raises(CancellationPendingError) as refused:
        cancellation_request(order_id=order.pk, user=customer)

    assert refused.value.extra == {"cancellation_id": first.pk}
    assert OrderCancellation.objects.filter(order=order).count() == 1


def test_a_delivered_or_cancelled_order_cannot_be_cancelled(customer, superuser, variant):
    delivered = ship(place(customer, variant), superuser, deliver=True)
    cancelled = place(customer, variant)
    order_cancel(order_id=cancelled.pk, user=customer)

    for order in (delivered, cancelled):
        with pytest.raises(OrderNotCancellableError):
            cancellation_request(order_id=order.pk, user=customer)
    assert OrderCancellation.objects.filter(order=delivered).count() == 0
    assert OrderCancellation.objects.filter(order=cancelled).count() == 1


def test_another_customers_order_does_not_exist(customer, other_customer, variant):
    theirs = place(other_customer, variant)
    with pytest.raises(NotFoundError):
        cancellation_request(order_id=theirs.pk, user=customer)
    theirs.refresh_from_db()
    assert theirs.status_id == OrderState.PAID


def test_approving_refunds_less_the_fee_cancels_the_order_and_keeps_shipped_stock_out(customer, superuser, variant):
    order = ship(place(customer, variant, 2), superuser)
    cancellation = cancellation_request(order_id=order.pk, user=customer).cancellation

    approved = cancellation_approve(cancellation_id=cancellation.pk, actor=superuser, fee="5.00", note="Return label")

    assert approved.status == CancellationStatus.COMPLETED
    assert (approved.refund_amount, approved.fee, approved.decided_by) == (Decimal("35.00"), Decimal("5.00"), superuser)
    assert approved.approved_at and approved.completed_at
    order.refresh_from_db()
    assert order.status_id == OrderState.CANCELLED and order.cancelled_at
    assert balance(customer) == Decimal("495.00") == ledger_sum(customer)
    assert InventoryItem.objects.get(variant=variant).quantity == 8  # on its way: back as a return, not here
    assert sum(ProductSaleStat.objects.filter(order_item__order=order).values_list("quantity", flat=True)) == 0
    [queued] = notifications_of(order, NotificationKind.CANCELLATION_APPROVED)
    assert queued.context["refund_amount"] == "35.00" and queued.context["fee"] == "5.00"
    subject, body = rendered(queued)
    assert "is cancelled" in subject and "35.00" in body and "5.00" in body and "Return label" in body
    steps = list(
        OrderHistory.objects.filter(order=order, change_type="cancellation").values_list("new_value", flat=True)
    )
    assert steps == ["requested", "completed"]


def test_rejecting_needs_a_reason_and_leaves_the_order_alone(customer, superuser, variant):
    order = ship(place(customer, variant), superuser)
    cancellation = cancellation_request(order_id=order.pk, user=customer).cancellation

    with pytest.raises(DecisionReasonRequiredError):
        cancellation_reject(cancellation_id=cancellation.pk, actor=superuser, reason="   ")
    cancellation.refresh_from_db()
    assert cancellation.status == CancellationStatus.REQUESTED

    rejected = cancellation_reject(cancellation_id=cancellation.pk, actor=superuser, reason="Already at your door")

    assert (rejected.status, rejected.decision_note, rejected.decided_by) == (
        "rejected",
        "Already at your door",
        superuser,
    )
    assert rejected.rejected_at
    order.refresh_from_db()
    assert order.status_id == OrderState.SHIPPED and balance(customer) == Decimal("480.00")
    [queued] = notifications_of(order, NotificationKind.CANCELLATION_REJECTED)
    assert "Already at your door" in rendered(queued)[1]
    # A rejected request does not stop a new one.
    assert cancellation_request(order_id=order.pk, user=customer).cancellation.status == "requested"


@pytest.mark.parametrize("decided", ["approved", "rejected"])
def test_a_decided_cancellation_cannot_be_decided_again(customer, superuser, variant, decided):
    order = ship(place(customer, variant), superuser)
    cancellation = cancellation_request(order_id=order.pk, user=customer).cancellation
    if decided == "approved":
        cancellation_approve(cancellation_id=cancellation.pk, actor=superuser)
    else:
        cancellation_reject(cancellation_id=cancellation.pk, actor=superuser, reason="No")
    before = balance(customer)

    with pytest.raises(InvalidTransitionError) as refused:
        cancellation_approve(cancellation_id=cancellation.pk, actor=superuser)
    assert "cannot become approved" in str(refused.value.message)
    with pytest.raises(InvalidTransitionError):
        cancellation_reject(cancellation_id=cancellation.pk, actor=superuser, reason="Again")

    assert balance(customer) == before
    assert Refund.objects.filter(order=order).count() == (1 if decided == "approved" else 0)


def test_a_request_for_an_order_delivered_meanwhile_cannot_be_approved(customer, superuser, variant):
    order = ship(place(customer, variant), superuser)
    cancellation = cancellation_request(order_id=order.pk, user=customer).cancellation
    order_transition(order_id=order.pk, to=OrderState.DELIVERED, actor=superuser)

    with pytest.raises(InvalidTransitionError):
        cancellation_approve(cancellation_id=cancellation.pk, actor=superuser)
    cancellation.refresh_from_db()
    order.refresh_from_db()
    assert cancellation.status == "requested" and order.status_id == OrderState.DELIVERED
    assert balance(customer) == Decimal("480.00")


@pytest.mark.parametrize("fee", ["-1.00", "20.01"])
def test_a_fee_outside_zero_and_the_refundable_is_refused(customer, superuser, variant, fee):
    order = ship(place(customer, variant), superuser)
    cancellation = cancellation_request(order_id=order.pk, user=customer).cancellation

    with pytest.raises(CancellationFeeError):
        cancellation_approve(cancellation_id=cancellation.pk, actor=superuser, fee=fee)

    cancellation.refresh_from_db()
    order.refresh_from_db()
    assert cancellation.status == "requested" and order.status_id == OrderState.SHIPPED
    assert balance(customer) == Decimal("480.00")


def test_staff_cannot_move_a_shipped_order_to_cancelled_by_status_change(superuser, customer, variant):
    order = ship(place(customer, variant), superuser)
    with pytest.raises(InvalidTransitionError):
        order_transition(order_id=order.pk, to=OrderState.CANCELLED, actor=superuser)


def test_unknown_cancellation_is_not_found(superuser):
    with pytest.raises(NotFoundError):
        cancellation_approve(cancellation_id=10**9, actor=superuser)


def test_a_partly_shipped_order_is_a_request_and_approval_restocks_only_the_lines_never_shipped(customer, superuser):
    shipped_variant, waiting_variant = VariantFactory(stock=5), VariantFactory(stock=5)
    lines = [{"variant_id": shipped_variant.pk, "quantity": 1}, {"variant_id": waiting_variant.pk, "quantity": 2}]
    order = order_place(user=customer, lines=lines).order
    seller = shipped_variant.product.seller
    shipment_create(
        seller=seller,
        order_id=order.pk,
        carrier_id=ShippingCarrierFactory().pk,
        tracking_number="T-1",
        actor=seller.user,
    )

    outcome = cancellation_request(order_id=order.pk, user=customer)

    assert not outcome.immediate  # one parcel is on its way: staff decide
    cancellation_approve(cancellation_id=outcome.cancellation.pk, actor=superuser)
    order.refresh_from_db()
    assert order.status_id == OrderState.CANCELLED
    assert InventoryItem.objects.get(variant=waiting_variant).quantity == 5  # never left: back
    assert InventoryItem.objects.get(variant=shipped_variant).quantity == 4  # on its way: back as a return
    assert balance(customer) == Decimal("500.00") == ledger_sum(customer)
