"""Row 5, returns (RMA): tampered return requests (API and the order page's form) never return
another customer's line, more units than were bought less those already being returned, set an
amount, status or owner of their own, or move money or stock; a refusal changes nothing.

How every door is attacked and judged: tests/security/tampering.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import strategies as st

from orders.models import OrderReturn, OrderReturnItem
from orders.services.returns import line_paid_value

from .tampering import (
    FEW_EXAMPLES,
    QUANTITIES,
    Door,
    api,
    as_form,
    attack,
    changed_beyond,
    injected,
    page,
    redirected,
    role_problems,
)
from .world import World

pytestmark = [pytest.mark.scorecard(row=5), pytest.mark.django_db]

REASONS = st.sampled_from(["damaged", "no_longer_needed", "bored", "", None, 1])
DESTINATIONS = st.sampled_from(["original", "wallet", "bank", "", None])
WHOSE = st.sampled_from(["own", "own", "other customer's", "none"])


def return_strategy(world: World) -> st.SearchStrategy:
    return st.tuples(QUANTITIES, WHOSE, REASONS, DESTINATIONS, injected())


def _order(world: World) -> Any:
    assert world.a.order_return is not None
    return world.a.order_return.order


def _item_id(world: World, whose: str) -> int:
    if whose == "own":
        return _order(world).items.get().pk
    if whose == "other customer's":
        assert world.b.order_return is not None
        return world.b.order_return.order.items.get().pk
    return 0


def _body(world: World, data: Any) -> dict[str, Any]:
    quantity, whose, reason, destination, extra = data
    body: dict[str, Any] = {"items": [{"order_item_id": _item_id(world, whose), "quantity": quantity}], **extra}
    if reason is not None:
        body["reason"] = reason
    if destination is not None:
        body["destination"] = destination
    return body


def send_api_return(world: World, data: Any) -> Any:
    return api(world).post(f"/api/v1/orders/{_order(world).pk}/returns/", _body(world, data), format="json")


def send_page_return(world: World, data: Any) -> Any:
    quantity, whose, reason, destination, extra = data
    fields: dict[str, Any] = {f"quantity_{_item_id(world, whose)}": quantity, **extra}
    if reason is not None:
        fields["reason"] = reason
    if destination is not None:
        fields["destination"] = destination
    return page(world).post(f"/orders/{_order(world).pk}/returns/new/", as_form(fields))


def check_return(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    problems = role_problems(world)
    known = (
        {world.a.order_return.pk, world.b.order_return.pk} if world.a.order_return and world.b.order_return else set()
    )
    new = list(OrderReturn.objects.exclude(pk__in=known))
    if len(new) != 1:
        return [*problems, f"{len(new)} returns made by one accepted request"]
    rma = new[0]
    order = _order(world)
    if (rma.customer_id, rma.order_id) != (world.a.user.pk, order.pk):
        problems.append(f"return owned by {rma.customer_id} for order {rma.order_id}")
    if (rma.status, rma.refund_amount, rma.restocking_fee, rma.return_shipping_cost) != ("requested", None, 0, 0):
        problems.append(f"return took status/amounts from the request: {rma.status} {rma.refund_amount}")
    lines = list(OrderReturnItem.objects.filter(order_return=rma).select_related("order_item"))
    for line in lines:
        if line.order_item.order_id != order.pk:
            problems.append("a line of another order was returned")
        if not 1 <= line.quantity <= 1:  # two bought, one already being returned
            problems.append(f"{line.quantity} units returned where 1 was left")
        expected = line_paid_value(order=order, item=line.order_item, quantity=line.quantity)
        if line.value != expected:
            problems.append(f"line valued {line.value}, not {expected}")
    if rma.items_value != sum(line.value for line in lines):
        problems.append(f"items_value {rma.items_value} is not the sum of the lines")
    return problems + changed_beyond(world, before, {"returns"})


DOORS: list[Door] = [
    Door(
        "POST /api/v1/orders/{id}/returns/",
        "orders_api:order-returns",
        return_strategy,
        send_api_return,
        check_return,
        control=lambda w: (1, "own", "damaged", "wallet", {}),
    ),
    Door(
        "POST /orders/{id}/returns/new/ (form)",
        "orders:return_create",
        return_strategy,
        send_page_return,
        check_return,
        redirected,
        examples=FEW_EXAMPLES * 2,
        control=lambda w: (1, "own", "no_longer_needed", "original", {}),
    ),
]


@pytest.mark.parametrize("door_name", [door.name for door in DOORS])
def test_tampering(door_name, scorecard_row):
    attack(next(door for door in DOORS if door.name == door_name), scorecard_row)
