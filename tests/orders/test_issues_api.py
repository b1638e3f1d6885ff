"""The issues API (orders/{id}/issues/, issues/{id}/): the customer's own only, strict input, refused
steps as 409 with a code, and a constant number of queries for the list."""

import pytest
from django.urls import reverse

from orders.models import OrderIssue
from orders.services import issue_report, issue_resolve

from .cancel_helpers import ship
from .conftest import place

pytestmark = pytest.mark.django_db


def issues_url(order_pk):
    return reverse("orders_api:order-issues", args=[order_pk])


def issue_url(pk):
    return reverse("orders_api:issue-detail", args=[pk])


def test_report_then_read_it_back(api, customer, variant):
    order = place(customer, variant, 2)
    line = order.items.get()

    response = api.post(
        issues_url(order.pk),
        {"issue_type": "wrong_item", "description": "Blue, not red", "urgency": "high", "item_ids": [line.pk]},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["order"], body["issue_type"], body["status"], body["item_ids"], body["urgency"]) == (
        order.pk,
        "wrong_item",
        "reported",
        [line.pk],
        "high",
    )
    assert body["seller"] == variant.product.seller.business_name and body["customer_satisfaction"] is None
    assert api.get(issue_url(body["id"])).json() == body
    assert [i["id"] for i in api.get(issues_url(order.pk)).json()] == [body["id"]]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"issue_type": "bored", "description": "x"}, "issue_type"),
        ({"issue_type": "late"}, "description"),
        ({"issue_type": "late", "description": "x", "item_ids": ["1"]}, "item_ids"),
        ({"issue_type": "late", "description": "x" * 2001}, "description"),
        ({"issue_type": "late", "description": "x", "status": "resolved"}, "status"),
        ({"issue_type": "late", "description": "x", "compensation_amount": "999.00"}, "compensation_amount"),
    ],
)
def test_bad_input_is_a_400_with_the_field(api, customer, variant, payload, field):
    order = place(customer, variant)
    response = api.post(issues_url(order.pk), payload, format="json")
    assert response.status_code == 400 and field in response.json()["fields"]
    assert not OrderIssue.objects.exists()


def test_a_line_of_another_order_is_a_400_invalid_items(api, customer, other_customer, variant):
    mine, theirs = place(customer, variant), place(other_customer, variant)
    response = api.post(
        issues_url(mine.pk),
        {"issue_type": "late", "description": "x", "item_ids": [theirs.items.get().pk]},
        format="json",
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_items"


def test_another_customers_order_and_issue_are_404(api, customer, other_customer, variant):
    theirs = place(other_customer, variant)
    their_issue = issue_report(order_id=theirs.pk, user=other_customer, issue_type="late", description="x")

    assert api.get(issues_url(theirs.pk)).status_code == 404
    assert api.post(issues_url(theirs.pk), {"issue_type": "late", "description": "x"}, format="json").status_code == 404
    assert api.get(issue_url(their_issue.pk)).status_code == 404
    assert api.patch(issue_url(their_issue.pk), {"customer_satisfaction": 1}, format="json").status_code == 404
    assert OrderIssue.objects.count() == 1
    their_issue.refresh_from_db()
    assert their_issue.customer_satisfaction is None


def test_rating_before_resolution_is_409_and_after_is_200(api, customer, superuser, variant):
    order = place(customer, variant)
    issue = issue_report(order_id=order.pk, user=customer, issue_type="late", description="x")

    early = api.patch(issue_url(issue.pk), {"customer_satisfaction": 5}, format="json")
    assert early.status_code == 409 and early.json()["code"] == "issue_not_resolved"
    issue.refresh_from_db()
    assert issue.customer_satisfaction is None

    issue_resolve(issue_id=issue.pk, actor=superuser, resolution_notes="Sent again", compensation="5.00")
    for bad in ({"customer_satisfaction": 6}, {"customer_satisfaction": "5"}, {"status": "closed"}):
        assert api.patch(issue_url(issue.pk), bad, format="json").status_code == 400
    nothing = api.patch(issue_url(issue.pk), {}, format="json")  # PATCH: nothing sent, nothing changed
    assert nothing.status_code == 200 and nothing.json()["customer_satisfaction"] is None
    rated = api.patch(issue_url(issue.pk), {"customer_satisfaction": 4}, format="json")
    assert rated.status_code == 200
    body = rated.json()
    assert (body["customer_satisfaction"], body["status"], body["compensation_amount"]) == (4, "resolved", "5.00")
    assert body["resolution_hours"] is not None and body["first_response_hours"] is not None


def test_an_unpaid_order_cannot_have_an_issue_409(api, customer, variant):
    order = place(customer, variant)
    type(order).objects.filter(pk=order.pk).update(status_id="pending", paid_at=None)
    response = api.post(issues_url(order.pk), {"issue_type": "late", "description": "x"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "order_not_paid"


def test_the_list_has_a_constant_query_count(api, customer, variant, django_assert_max_num_queries):
    order = place(customer, variant)
    issue_report(order_id=order.pk, user=customer, issue_type="late", description="x")
    with django_assert_max_num_queries(10) as few:
        api.get(issues_url(order.pk))
    for n in range(4):
        issue_report(order_id=order.pk, user=customer, issue_type="damaged", description=f"{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api.get(issues_url(order.pk)).json()) == 5


def test_a_shipped_orders_cancel_request_shows_on_the_order(api, customer, superuser, variant):
    order = ship(place(customer, variant), superuser)
    response = api.post(reverse("orders_api:order-cancel", args=[order.pk]), {}, format="json")
    assert response.status_code == 202 and response.json()["status"] == "requested"
    assert api.get(reverse("orders_api:order-detail", args=[order.pk])).json()["status"] == "shipped"


def test_the_issues_api_needs_sign_in(anonymous_api, customer, variant):
    order = place(customer, variant)
    assert anonymous_api.get(issues_url(order.pk)).status_code in (401, 403)
    assert anonymous_api.get(issue_url(1)).status_code in (401, 403)
