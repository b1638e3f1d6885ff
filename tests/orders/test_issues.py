"""Order issues at the service level: reported, answered by the seller, reviewed, resolved with
compensation through the refund cap or closed, rated; every step allowed and refused."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from common.exceptions import InvalidTransitionError, NotFoundError
from orders.exceptions import (
    DecisionReasonRequiredError,
    InvalidIssueError,
    InvalidIssueItemsError,
    InvalidRatingError,
    IssueNotOpenError,
    IssueNotResolvedError,
)
from orders.models import IssueStatus, NotificationKind, OrderHistory, OrderIssue
from orders.services import (
    issue_assign,
    issue_close,
    issue_rate,
    issue_report,
    issue_resolve,
    issue_seller_answer,
    order_place,
)
from payments.exceptions import OrderRefundCapError
from payments.models import Refund, RefundDestination, Wallet
from tests.factories.commerce import VariantFactory

from .cancel_helpers import notifications_of, rendered
from .conftest import ledger_sum, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_seller_order(customer):
    mine, theirs = VariantFactory(price=Decimal("20.00"), stock=5), VariantFactory(price=Decimal("10.00"), stock=5)
    lines = [{"variant_id": mine.pk, "quantity": 1}, {"variant_id": theirs.pk, "quantity": 2}]
    return order_place(user=customer, lines=lines).order


def report(order, user, **kwargs):
    kwargs.setdefault("issue_type", "damaged")
    kwargs.setdefault("description", "The box was crushed")
    return issue_report(order_id=order.pk, user=user, **kwargs)


def test_reporting_about_one_sellers_lines_relates_that_seller(customer, two_seller_order):
    line = two_seller_order.items.order_by("id").first()

    issue = report(two_seller_order, customer, item_ids=[line.pk], urgency="high")

    assert (issue.status, issue.urgency, issue.related_seller_id) == ("reported", "high", line.seller_id)
    assert list(issue.items.all()) == [line]
    [queued] = notifications_of(two_seller_order, NotificationKind.ISSUE_REPORTED)
    assert queued.dedupe_key.endswith(f":issue:{issue.pk}:reported")
    subject, body = rendered(queued)
    assert two_seller_order.order_number in subject and "Damaged item" in body
    assert OrderHistory.objects.get(order=two_seller_order, change_type="issue").new_value == "reported"


def test_reporting_about_lines_of_two_sellers_leaves_the_seller_to_staff(customer, two_seller_order):
    assert report(two_seller_order, customer).related_seller is None  # the whole order: two sellers


def test_a_one_seller_order_relates_its_seller_without_choosing_lines(customer, variant):
    order = place(customer, variant)
    assert report(order, customer, issue_type="late").related_seller_id == variant.product.seller_id


def test_reporting_refuses_lines_of_another_order_a_foreign_order_and_bad_choices(customer, other_customer, variant):
    mine, theirs = place(customer, variant), place(other_customer, variant)
    foreign_line = theirs.items.get()

    with pytest.raises(InvalidIssueItemsError):
        report(mine, customer, item_ids=[foreign_line.pk])
    with pytest.raises(NotFoundError):
        report(theirs, customer)
    with pytest.raises(InvalidIssueError):
        report(mine, customer, issue_type="bored")
    with pytest.raises(InvalidIssueError):
        report(mine, customer, description="   ")
    assert not OrderIssue.objects.exists()


def test_assigning_puts_it_under_review_and_counts_as_the_first_response(customer, superuser, variant):
    order = place(customer, variant)
    issue = report(order, customer)

    issue = issue_assign(issue_id=issue.pk, actor=superuser)

    assert (issue.status, issue.assigned_to) == (IssueStatus.UNDER_REVIEW, superuser)
    assert issue.first_response_at and issue.first_response_time >= dt.timedelta(0)
    [queued] = notifications_of(order, NotificationKind.ISSUE_UPDATED)
    assert "under review" in rendered(queued)[1]


def test_the_seller_answers_only_their_own_issue(customer, variant):
    order = place(customer, variant)
    issue = report(order, customer)
    seller = variant.product.seller
    stranger = VariantFactory().product.seller

    with pytest.raises(NotFoundError):
        issue_seller_answer(issue_id=issue.pk, seller=stranger, response="Not mine")
    with pytest.raises(DecisionReasonRequiredError):
        issue_seller_answer(issue_id=issue.pk, seller=seller, response=" ")
    issue.refresh_from_db()
    assert issue.seller_response == "" and issue.status == "reported"

    answered = issue_seller_answer(issue_id=issue.pk, seller=seller, response="We send a new one today")

    assert (answered.status, answered.seller_response) == ("under_review", "We send a new one today")
    assert answered.first_response_at == answered.seller_responded_at
    assert len(notifications_of(order, NotificationKind.ISSUE_UPDATED)) == 1


def test_resolving_with_store_credit_counts_against_what_was_paid(customer, superuser, variant):
    order = place(customer, variant, 2)  # 40.00 paid
    issue = report(order, customer)

    resolved = issue_resolve(
        issue_id=issue.pk,
        actor=superuser,
        resolution_notes="Sorry: store credit for the damage",
        compensation="15.00",
        destination=RefundDestination.WALLET,
    )

    assert (resolved.status, resolved.compensation_amount, resolved.compensation_destination) == (
        "resolved",
        Decimal("15.00"),
        "wallet",
    )
    assert resolved.resolved_at and resolved.resolution_time >= dt.timedelta(0)
    refund = Refund.objects.get(order=order)
    assert (refund.amount, refund.destination, refund.reference) == (Decimal("15.00"), "wallet", f"issue:{issue.pk}")
    assert Wallet.objects.get(user=customer).balance == Decimal("475.00") == ledger_sum(customer)
    [queued] = notifications_of(order, NotificationKind.ISSUE_RESOLVED)
    body = rendered(queued)[1]
    assert "store credit for the damage" in body and "15.00" in body

    # A second issue cannot take more than the 25.00 left.
    second = report(order, customer, issue_type="missing_item")
    with pytest.raises(OrderRefundCapError) as refused:
        issue_resolve(issue_id=second.pk, actor=superuser, resolution_notes="Refund", compensation="25.01")
    assert refused.value.extra == {"refundable": "25.00", "requested": "25.01"}
    second.refresh_from_db()
    assert second.status == "reported" and second.resolved_at is None
    assert Refund.objects.filter(order=order).count() == 1


def test_resolving_needs_notes_and_an_open_issue(customer, superuser, variant):
    issue = report(place(customer, variant), customer)
    with pytest.raises(DecisionReasonRequiredError):
        issue_resolve(issue_id=issue.pk, actor=superuser, resolution_notes="")
    issue_resolve(issue_id=issue.pk, actor=superuser, resolution_notes="Replaced")

    with pytest.raises(InvalidTransitionError) as refused:
        issue_resolve(issue_id=issue.pk, actor=superuser, resolution_notes="Again", compensation="5.00")
    assert "cannot become resolved" in str(refused.value.message)
    assert not Refund.objects.exists()
    with pytest.raises(IssueNotOpenError):
        issue_assign(issue_id=issue.pk, actor=superuser)


def test_closing_is_final(customer, superuser, variant):
    order = place(customer, variant)
    issue = report(order, customer)

    closed = issue_close(issue_id=issue.pk, actor=superuser, note="Duplicate of another report")

    assert closed.status == IssueStatus.CLOSED and closed.closed_at
    [queued] = notifications_of(order, NotificationKind.ISSUE_CLOSED)
    assert "Duplicate" in rendered(queued)[1]
    with pytest.raises(InvalidTransitionError):
        issue_close(issue_id=issue.pk, actor=superuser)
    with pytest.raises(InvalidTransitionError):
        issue_resolve(issue_id=issue.pk, actor=superuser, resolution_notes="Late")
    with pytest.raises(IssueNotOpenError):
        issue_seller_answer(issue_id=issue.pk, seller=variant.product.seller, response="Hello")
    with pytest.raises(IssueNotResolvedError):  # closed without being resolved: nothing to rate
        issue_rate(issue_id=issue.pk, user=customer, satisfaction=3)


def test_rating_only_after_resolution_only_1_to_5_only_by_the_customer(customer, other_customer, superuser, variant):
    issue = report(place(customer, variant), customer)

    with pytest.raises(IssueNotResolvedError):
        issue_rate(issue_id=issue.pk, user=customer, satisfaction=5)
    issue_resolve(issue_id=issue.pk, actor=superuser, resolution_notes="Replaced")
    for bad in (0, 6, True, "5"):
        with pytest.raises(InvalidRatingError):
            issue_rate(issue_id=issue.pk, user=customer, satisfaction=bad)
    with pytest.raises(NotFoundError):
        issue_rate(issue_id=issue.pk, user=other_customer, satisfaction=1)
    issue.refresh_from_db()
    assert issue.customer_satisfaction is None

    assert issue_rate(issue_id=issue.pk, user=customer, satisfaction=4).customer_satisfaction == 4
    assert issue_rate(issue_id=issue.pk, user=customer, satisfaction=5).customer_satisfaction == 5  # may change
    issue_close(issue_id=issue.pk, actor=superuser)
    assert issue_rate(issue_id=issue.pk, user=customer, satisfaction=3).customer_satisfaction == 3


def test_times_are_computed_from_the_timestamps(customer, superuser, variant):
    issue = report(place(customer, variant), customer)
    OrderIssue.objects.filter(pk=issue.pk).update(created_at=timezone.now() - dt.timedelta(hours=5))
    issue_assign(issue_id=issue.pk, actor=superuser)
    issue = issue_resolve(issue_id=issue.pk, actor=superuser, resolution_notes="Done")
    issue.refresh_from_db()
    assert dt.timedelta(hours=5) <= issue.first_response_time <= issue.resolution_time < dt.timedelta(hours=6)
