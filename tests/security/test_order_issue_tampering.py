"""Row 5, order issues (branch `cancel`): a report, a rating and a seller's answer, through the API
and the pages, never set a status, a compensation, an owner, a seller or someone else's order of
their own; a refusal changes nothing.

How every door is attacked and judged: tests/security/tampering.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import strategies as st

from orders.models import IssueStatus, OrderIssue
from orders.services import issue_resolve

from .tampering import (
    QUANTITIES,
    Door,
    api,
    as_form,
    attack,
    changed_beyond,
    injected,
    owner_fields,
    page,
    redirected,
    role_problems,
)
from .world import World

pytestmark = [pytest.mark.scorecard(row=5), pytest.mark.django_db]

ISSUE_OWNER_FIELDS = ["customer", "order", "order_id", "related_seller", "assigned_to", "compensation_amount"]


def report_strategy(world: World) -> st.SearchStrategy:
    mine, theirs = world.a.order.items.get().pk, world.b.order.items.get().pk
    return st.tuples(
        st.sampled_from(["damaged", "late", "wrong_item", "bored", "", None, 1]),
        st.one_of(st.sampled_from(["Box dented", "", " ", "x" * 2001, "<script>alert(1)</script>"]), st.text()),
        st.sampled_from([None, [], [mine], [theirs], [mine, theirs], ["x"], [0], [10**12], "1"]),
        injected(),
        owner_fields(world, ISSUE_OWNER_FIELDS),
    )


def report_body(data: Any) -> dict[str, Any]:
    issue_type, description, item_ids, extra, owner = data
    body = {**extra, **owner, "issue_type": issue_type, "description": description}
    if item_ids is not None:
        body["item_ids"] = item_ids
    return body


def send_api_report(world: World, data: Any) -> Any:
    return api(world).post(f"/api/v1/orders/{world.a.order.pk}/issues/", report_body(data), format="json")


def send_page_report(world: World, data: Any) -> Any:
    body = report_body(data)
    items = body.pop("item_ids", None)
    form = as_form({k: v for k, v in body.items() if v is not None})
    if isinstance(items, list):
        form["items"] = [str(i) for i in items]
    return page(world).post(f"/orders/{world.a.order.pk}/issues/new/", form)


def check_report(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    problems = role_problems(world) + changed_beyond(world, before, {"issues"})
    known = {row["pk"] for row in before["issues"]}
    new = list(OrderIssue.objects.exclude(pk__in=known))
    if len(new) != 1:
        return [*problems, f"{len(new)} issues made"]
    issue = new[0]
    mine = set(world.a.order.items.values_list("pk", flat=True))
    if (issue.customer_id, issue.order_id) != (world.a.user.pk, world.a.order.pk):
        problems.append(f"issue owned by {issue.customer_id} on order {issue.order_id}")
    if issue.status != IssueStatus.REPORTED or issue.compensation_amount or issue.assigned_to_id:
        problems.append(f"issue born {issue.status}, {issue.compensation_amount}, assigned {issue.assigned_to_id}")
    if issue.related_seller_id != world.seller_a.variant.product.seller_id:
        problems.append(f"related to seller {issue.related_seller_id}")
    if not set(issue.items.values_list("pk", flat=True)) <= mine:
        problems.append("lines of another order")
    if issue.issue_type != data[0] or not issue.description.strip():
        problems.append(f"type {issue.issue_type!r}, description {issue.description!r}")
    return problems


def rate_strategy(world: World) -> st.SearchStrategy:
    return st.tuples(QUANTITIES, injected(), owner_fields(world, ["status", "compensation_amount", "issue_type"]))


def resolve_a_issue(world: World) -> None:
    issue_resolve(issue_id=world.a.issue.pk, actor=world.staff, resolution_notes="Replaced")


def send_api_rate(world: World, data: Any) -> Any:
    value, extra, owner = data
    body = {**extra, **owner, "customer_satisfaction": value}
    return api(world).patch(f"/api/v1/issues/{world.a.issue.pk}/", body, format="json")


def send_page_rate(world: World, data: Any) -> Any:
    value, extra, owner = data
    form = as_form({**extra, **owner})
    form["customer_satisfaction"] = str(value)
    return page(world).post(f"/orders/issues/{world.a.issue.pk}/rate/", form)


def check_rate(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    problems = role_problems(world) + changed_beyond(world, before, {"issues"})
    sent = data[0]
    issue = OrderIssue.objects.get(pk=world.a.issue.pk)
    was = next(row for row in before["issues"] if row["pk"] == issue.pk)
    valid = str(sent).strip() in {"1", "2", "3", "4", "5"} and not isinstance(sent, (bool, float))
    # The API takes JSON integers only; the form takes the text "1"…"5".
    if response.wsgi_request.path.startswith("/api/") and not isinstance(sent, int):
        valid = False
    expected = int(str(sent)) if valid else was["customer_satisfaction"]
    if issue.customer_satisfaction != expected:
        problems.append(f"sent {sent!r}, satisfaction {issue.customer_satisfaction}")
    if (issue.status, issue.compensation_amount, issue.issue_type) != (
        was["status"],
        was["compensation_amount"],
        "damaged",
    ):
        problems.append("the rating changed more than the rating")
    others = [row for row in before["issues"] if row["pk"] != issue.pk]
    if others != list(OrderIssue.objects.exclude(pk=issue.pk).order_by("pk").values(*before["issues"][0].keys())):
        problems.append("another issue changed")
    return problems


def answer_strategy(world: World) -> st.SearchStrategy:
    return st.tuples(
        st.one_of(st.sampled_from(["We send a new one", "", " ", "x" * 2001]), st.text(max_size=50)),
        injected(),
        owner_fields(world, ["status", "compensation_amount", "related_seller", "customer_satisfaction"]),
    )


def send_answer(world: World, data: Any) -> Any:
    response, extra, owner = data
    client = page(world, world.seller_a.user)
    return client.post(f"/seller/issues/{world.a.issue.pk}/", {**as_form({**extra, **owner}), "response": response})


def check_answer(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    problems = role_problems(world) + changed_beyond(world, before, {"issues"})
    issue = OrderIssue.objects.get(pk=world.a.issue.pk)
    if issue.seller_response != data[0].strip() or not issue.seller_response:
        problems.append(f"answer stored as {issue.seller_response!r}")
    if issue.status != IssueStatus.UNDER_REVIEW or issue.compensation_amount or issue.customer_satisfaction:
        problems.append(f"the answer set {issue.status}, {issue.compensation_amount}, {issue.customer_satisfaction}")
    if OrderIssue.objects.exclude(pk=issue.pk).exclude(seller_response="").exists():
        problems.append("another issue was answered")
    return problems


def api_created(response: Any) -> bool:
    return response.status_code == 201


DOORS: list[Door] = [
    Door(
        "POST /api/v1/orders/{id}/issues/",
        "orders_api:order-issues",
        report_strategy,
        send_api_report,
        check_report,
        api_created,
        control=lambda w: ("damaged", "Box dented", [w.a.order.items.get().pk], {}, {}),
    ),
    Door(
        "POST /orders/{id}/issues/new/ (form)",
        "orders:issue_report",
        report_strategy,
        send_page_report,
        check_report,
        redirected,
        control=lambda w: ("damaged", "Box dented", None, {}, {}),
    ),
    Door(
        "PATCH /api/v1/issues/{id}/",
        "orders_api:issue-detail",
        rate_strategy,
        send_api_rate,
        check_rate,
        prepare=resolve_a_issue,
        control=lambda w: (4, {}, {}),
    ),
    Door(
        "POST /orders/issues/{id}/rate/ (form)",
        "orders:issue_rate",
        rate_strategy,
        send_page_rate,
        check_rate,
        redirected,
        prepare=resolve_a_issue,
        control=lambda w: (4, {}, {}),
    ),
    Door(
        "POST /seller/issues/{id}/ (form)",
        "orders_seller:issue",
        answer_strategy,
        send_answer,
        check_answer,
        redirected,
        control=lambda w: ("We send a new one", {}, {}),
    ),
]


@pytest.mark.parametrize("door_name", [door.name for door in DOORS])
def test_tampering(door_name, scorecard_row):
    attack(next(door for door in DOORS if door.name == door_name), scorecard_row)
