"""Pages for cancellations and issues: the customer's (report, see, rate), the seller center's
(their own lines only, answer) and the staff console's (approve, reject, assign, resolve, close
through confirmation pages that call the services)."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from orders.models import CancellationStatus, IssueStatus, OrderCancellation, OrderIssue, OrderState
from orders.services import (
    cancellation_reject,
    cancellation_request,
    issue_assign,
    issue_report,
    issue_resolve,
    order_place,
)
from payments.models import Refund, Wallet
from tests.factories.accounts import SellerFactory
from tests.factories.commerce import VariantFactory

from .cancel_helpers import ship
from .conftest import place
from .test_views import assert_strict_csp_markup

pytestmark = pytest.mark.django_db


def messages_of(response):
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def admin_changelist(model):
    return reverse(f"admin:orders_{model._meta.model_name}_changelist")


# --- the customer --------------------------------------------------------------------------------


def test_report_an_issue_see_it_on_the_order_and_rate_it(shopper, customer, superuser, variant):
    order = place(customer, variant)
    line = order.items.get()
    form = shopper.get(reverse("orders:issue_report", args=[order.pk]))
    assert form.status_code == 200 and "What went wrong?" in form.content.decode()
    assert_strict_csp_markup(form.content.decode())

    response = shopper.post(
        reverse("orders:issue_report", args=[order.pk]),
        {"issue_type": "damaged", "description": "Cracked", "urgency": "high", "items": [line.pk]},
    )

    issue = OrderIssue.objects.get()
    assert response["Location"] == reverse("orders:issue", args=[issue.pk])
    assert (issue.issue_type, issue.urgency, list(issue.items.all())) == ("damaged", "high", [line])
    detail = shopper.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert "Damaged item" in detail and "Reported" in detail and reverse("orders:issue", args=[issue.pk]) in detail
    page = shopper.get(reverse("orders:issue", args=[issue.pk])).content.decode()
    assert "Cracked" in page and "Rate our answer" not in page

    early = shopper.post(reverse("orders:issue_rate", args=[issue.pk]), {"customer_satisfaction": "5"}, follow=True)
    assert ("error", "You can rate the answer once the issue is resolved.") in messages_of(early)
    issue.refresh_from_db()
    assert issue.customer_satisfaction is None

    issue_resolve(issue_id=issue.pk, actor=superuser, resolution_notes="A new one is on its way")
    page = shopper.get(reverse("orders:issue", args=[issue.pk])).content.decode()
    assert "A new one is on its way" in page and "Rate our answer" in page
    shopper.post(reverse("orders:issue_rate", args=[issue.pk]), {"customer_satisfaction": "4"})
    issue.refresh_from_db()
    assert issue.customer_satisfaction == 4


def test_a_bad_report_shows_the_errors_and_writes_nothing(shopper, customer, variant):
    order = place(customer, variant)
    response = shopper.post(
        reverse("orders:issue_report", args=[order.pk]), {"issue_type": "bored", "description": "", "items": ["999999"]}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Select a valid choice" in html and "This field is required" in html
    assert not OrderIssue.objects.exists()


def test_a_bad_rating_is_refused(shopper, customer, superuser, variant):
    issue = issue_report(order_id=place(customer, variant).pk, user=customer, issue_type="late", description="x")
    issue_resolve(issue_id=issue.pk, actor=superuser, resolution_notes="Sorry")
    response = shopper.post(reverse("orders:issue_rate", args=[issue.pk]), {"customer_satisfaction": "9"}, follow=True)
    assert any(level == "error" for level, _ in messages_of(response))
    issue.refresh_from_db()
    assert issue.customer_satisfaction is None


def test_another_customers_issue_pages_are_404(shopper, other_customer, variant):
    theirs = place(other_customer, variant)
    issue = issue_report(order_id=theirs.pk, user=other_customer, issue_type="late", description="x")
    assert shopper.get(reverse("orders:issue_report", args=[theirs.pk])).status_code == 404
    assert shopper.post(reverse("orders:issue_report", args=[theirs.pk]), {}).status_code == 404
    assert shopper.get(reverse("orders:issue", args=[issue.pk])).status_code == 404
    assert (
        shopper.post(reverse("orders:issue_rate", args=[issue.pk]), {"customer_satisfaction": "1"}).status_code == 404
    )
    assert OrderIssue.objects.count() == 1


def test_a_requested_cancellation_shows_on_the_order_then_its_answer(shopper, customer, superuser, variant):
    order = ship(place(customer, variant), superuser)
    cancellation = cancellation_request(order_id=order.pk, user=customer, notes="Too late").cancellation
    cancellation_reject(cancellation_id=cancellation.pk, actor=superuser, reason="It is at the door")
    detail = shopper.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert "Rejected" in detail and "It is at the door" in detail
    assert "Ask to cancel this order" in detail  # a rejected request does not stop a new one
    assert "Cancellation: rejected" in detail  # the history says it too


# --- the seller center ---------------------------------------------------------------------------


@pytest.fixture
def two_seller_issues(customer):
    mine, theirs = VariantFactory(price=Decimal("20.00"), stock=5), VariantFactory(price=Decimal("10.00"), stock=5)
    order = order_place(
        user=customer, lines=[{"variant_id": mine.pk, "quantity": 1}, {"variant_id": theirs.pk, "quantity": 1}]
    ).order
    my_line, their_line = order.items.order_by("id")
    mine_issue = issue_report(
        order_id=order.pk, user=customer, issue_type="damaged", description="Mine broke", item_ids=[my_line.pk]
    )
    their_issue = issue_report(
        order_id=order.pk, user=customer, issue_type="wrong_item", description="Theirs wrong", item_ids=[their_line.pk]
    )
    return mine.product.seller, mine_issue, their_issue


def test_the_seller_sees_and_answers_only_issues_about_their_lines(client, two_seller_issues):
    seller, mine, theirs = two_seller_issues
    client.force_login(seller.user)

    listing = client.get(reverse("orders_seller:issues")).content.decode()
    assert reverse("orders_seller:issue", args=[mine.pk]) in listing
    assert reverse("orders_seller:issue", args=[theirs.pk]) not in listing
    page = client.get(reverse("orders_seller:issue", args=[mine.pk])).content.decode()
    assert "Mine broke" in page and theirs.items.get().product_title not in page
    assert_strict_csp_markup(page)
    assert client.get(reverse("orders_seller:issue", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("orders_seller:issue", args=[theirs.pk]), {"response": "x"}).status_code == 404

    response = client.post(reverse("orders_seller:issue", args=[mine.pk]), {"response": "Replacement sent"})

    assert response["Location"] == reverse("orders_seller:issue", args=[mine.pk])
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.seller_response, mine.status) == ("Replacement sent", IssueStatus.UNDER_REVIEW)
    assert theirs.seller_response == "" and theirs.status == IssueStatus.REPORTED


def test_an_empty_answer_is_refused_and_a_customer_is_not_a_seller(client, customer, two_seller_issues):
    seller, mine, _theirs = two_seller_issues
    shopper = Client()
    shopper.force_login(customer)
    client.force_login(seller.user)
    assert client.post(reverse("orders_seller:issue", args=[mine.pk]), {"response": ""}).status_code == 400
    mine.refresh_from_db()
    assert mine.seller_response == ""
    assert shopper.get(reverse("orders_seller:issues")).status_code == 403


def test_the_seller_list_has_a_constant_query_count(client, customer, django_assert_max_num_queries):
    seller = SellerFactory()
    variant = VariantFactory(product__seller=seller, price=Decimal("5.00"), stock=50)
    client.force_login(seller.user)
    issue_report(order_id=place(customer, variant).pk, user=customer, issue_type="late", description="x")
    with django_assert_max_num_queries(40) as few:
        client.get(reverse("orders_seller:issues"))
    for _ in range(4):
        issue_report(order_id=place(customer, variant).pk, user=customer, issue_type="late", description="x")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("orders_seller:issues")).status_code == 200


# --- the staff console ---------------------------------------------------------------------------


def run_action(staff_client, model, action, rows, apply=None):
    data = {"action": action, "_selected_action": [r.pk for r in rows]}
    if apply is not None:
        data.update(apply, apply="Apply")
    return staff_client.post(admin_changelist(model), data, follow=True)


def test_staff_approve_a_cancellation_on_a_confirmation_page(staff_client, customer, superuser, variant):
    order = ship(place(customer, variant), superuser)
    cancellation = cancellation_request(order_id=order.pk, user=customer).cancellation

    confirm = run_action(staff_client, OrderCancellation, "approve", [cancellation])
    assert "Approve cancellations" in confirm.content.decode() and 'name="fee"' in confirm.content.decode()
    cancellation.refresh_from_db()
    assert cancellation.status == CancellationStatus.REQUESTED

    done = run_action(staff_client, OrderCancellation, "approve", [cancellation], apply={"fee": "3.00", "note": "OK"})

    assert ("success", "1 cancellation(s) approved and refunded.") in messages_of(done)
    cancellation.refresh_from_db()
    order.refresh_from_db()
    assert (cancellation.status, cancellation.refund_amount) == ("completed", Decimal("17.00"))
    assert order.status_id == OrderState.CANCELLED
    again = run_action(staff_client, OrderCancellation, "reject", [cancellation], apply={"reason": "No"})
    assert any(level == "error" and "cannot become rejected" in text for level, text in messages_of(again))


def test_staff_reject_needs_a_reason(staff_client, customer, superuser, variant):
    order = ship(place(customer, variant), superuser)
    cancellation = cancellation_request(order_id=order.pk, user=customer).cancellation

    blank = run_action(staff_client, OrderCancellation, "reject", [cancellation], apply={"reason": ""})
    assert "This field is required" in blank.content.decode()
    cancellation.refresh_from_db()
    assert cancellation.status == CancellationStatus.REQUESTED

    run_action(staff_client, OrderCancellation, "reject", [cancellation], apply={"reason": "Already delivered"})
    cancellation.refresh_from_db()
    assert (cancellation.status, cancellation.decision_note) == ("rejected", "Already delivered")


def test_staff_assign_resolve_with_compensation_and_close_issues(staff_client, customer, superuser, variant):
    order = place(customer, variant)
    issue = issue_report(order_id=order.pk, user=customer, issue_type="damaged", description="x")

    run_action(staff_client, OrderIssue, "assign_to_me", [issue])
    issue.refresh_from_db()
    assert (issue.status, issue.assigned_to) == ("under_review", superuser)

    too_much = run_action(
        staff_client,
        OrderIssue,
        "resolve",
        [issue],
        apply={"resolution_notes": "Refund", "compensation": "20.01", "destination": "wallet"},
    )
    assert any(level == "error" and "At most 20.00" in text for level, text in messages_of(too_much))
    issue.refresh_from_db()
    assert issue.status == "under_review" and not Refund.objects.exists()

    run_action(
        staff_client,
        OrderIssue,
        "resolve",
        [issue],
        apply={"resolution_notes": "Store credit", "compensation": "5.00", "destination": "wallet"},
    )
    issue.refresh_from_db()
    assert (issue.status, issue.compensation_amount, issue.compensation_destination) == (
        "resolved",
        Decimal("5.00"),
        "wallet",
    )
    assert Wallet.objects.get(user=customer).balance == Decimal("485.00")

    run_action(staff_client, OrderIssue, "close", [issue], apply={"note": "Done"})
    issue.refresh_from_db()
    assert issue.status == IssueStatus.CLOSED


def test_the_admin_lists_filter_by_status_and_seller(staff_client, customer, superuser, variant):
    order = ship(place(customer, variant), superuser)
    cancellation_request(order_id=order.pk, user=customer)
    issue = issue_report(order_id=order.pk, user=customer, issue_type="late", description="x")
    issue_assign(issue_id=issue.pk, actor=superuser)
    seller_id = variant.product.seller_id

    for model, params in (
        (OrderCancellation, {"status__exact": "requested", "order__items__seller__id__exact": seller_id}),
        (OrderIssue, {"status__exact": "under_review", "related_seller__id__exact": seller_id}),
    ):
        response = staff_client.get(admin_changelist(model), params)
        assert response.status_code == 200 and order.order_number in response.content.decode()
    assert staff_client.get(reverse("admin:orders_orderissue_change", args=[issue.pk])).status_code == 200


def test_the_order_page_reads_issues_and_cancellations_in_constant_queries(
    shopper, customer, variant, django_assert_max_num_queries
):
    order = place(customer, variant)
    issue_report(order_id=order.pk, user=customer, issue_type="late", description="x")
    with django_assert_max_num_queries(30) as few:
        shopper.get(reverse("orders:detail", args=[order.pk]))
    for n in range(4):
        issue_report(order_id=order.pk, user=customer, issue_type="damaged", description=f"{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert shopper.get(reverse("orders:detail", args=[order.pk])).content.decode().count("Damaged item") == 4
