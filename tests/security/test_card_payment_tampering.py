"""Row 5, paying an order by card (issue 14): `POST /api/v1/orders/{id}/pay/` and the order page's
"Pay" form, with tampered order and card ids, duplicated parameters and injected amount / status
/ owner fields.

Customer A has an order waiting for its card payment and a saved card; customer B has a card of
their own. Accepted: one payment, customer A's, of that order, with A's card, for the order's
total as the shop computed it, captured, and the order paid; nothing else moved (the order, the
payment and the stock the order held). Rejected: nothing changed.

How every door is attacked and judged: tests/security/tampering.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from hypothesis import strategies as st

from orders.models import Order, OrderState
from orders.services import order_place
from payments.models import Payment, PaymentStatus
from tests.payments.cards import saved_card

from .tampering import (
    Door,
    api,
    as_form,
    attack,
    changed_beyond,
    injected,
    owner_fields,
    page,
    role_problems,
    world_extras,
)
from .world import World

pytestmark = [pytest.mark.scorecard(row=5), pytest.mark.django_db]

PAYMENT_OWNER_FIELDS = ["order", "order_id", "user", "payment_method", "captured_amount", "gateway_reference"]


def prepare(world: World) -> None:
    extras = world_extras(world)
    variant = world.seller_a.variant
    extras["card order"] = order_place(
        user=world.a.user, lines=[{"variant_id": variant.pk, "quantity": 1}], payment_method="card"
    ).order
    extras["card"] = saved_card(world.a.user)
    extras["b card"] = saved_card(world.b.user)


def _order_id(world: World, which: Any) -> int:
    extras = world_extras(world)
    ids = {"waiting": extras["card order"].pk, "paid": world.a.order.pk, "theirs": world.b.order.pk}
    return ids[which] if isinstance(which, str) else which


def _card_id(world: World, which: Any) -> Any:
    extras = world_extras(world)
    if which == "mine" or which == "theirs":
        return extras["card" if which == "mine" else "b card"].pk
    return which


def pay_strategy(world: World) -> st.SearchStrategy:
    orders = st.sampled_from(["waiting", "paid", "theirs", 0, 10**25])
    cards = st.sampled_from(["mine", "theirs", 0, -1, 2**63, "1", "x", 1.5, None, True, [], {}])
    return st.tuples(orders, cards, injected(), owner_fields(world, PAYMENT_OWNER_FIELDS))


def send_api_pay(world: World, data: Any) -> Any:
    order, card, extra, owner = data
    body = {**extra, **owner}
    if card is not None:
        body["payment_method_id"] = _card_id(world, card)
    return api(world).post(f"/api/v1/orders/{_order_id(world, order)}/pay/", body, format="json")


def send_page_pay(world: World, data: Any) -> Any:
    order, card, extra, owner = data
    form = as_form({**extra, **owner, "idempotency_key": "pay-probe"})
    if card is not None:
        form["payment_method_id"] = str(_card_id(world, card))
    return page(world).post(f"/orders/{_order_id(world, order)}/pay/", form)


def paid_on_the_page(response: Any) -> bool:
    """The page always redirects; it took the payment when it says so (a success message)."""
    return response.status_code == 302 and any(
        message.level == messages.SUCCESS for message in get_messages(response.wsgi_request)
    )


def check_pay(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    problems = role_problems(world) + changed_beyond(world, before, {"orders", "payments", "stock"})
    order = Order.objects.get(pk=world_extras(world)["card order"].pk)
    known = {row["pk"] for row in before["payments"]}
    new = list(Payment.objects.exclude(pk__in=known))
    if len(new) != 1:
        return [*problems, f"{len(new)} payments made by one accepted request"]
    payment = new[0]
    if (payment.user_id, payment.order_id, payment.payment_method_id) != (
        world.a.user.pk,
        order.pk,
        world_extras(world)["card"].pk,
    ):
        problems.append(
            f"payment of user {payment.user_id}, order {payment.order_id}, card {payment.payment_method_id}"
        )
    if not (payment.amount == payment.captured_amount == order.total_amount):
        problems.append(f"paid {payment.amount} (captured {payment.captured_amount}) of {order.total_amount}")
    if payment.status != PaymentStatus.CAPTURED or order.status_id != OrderState.PAID:
        problems.append(f"payment {payment.status}, order {order.status_id}")
    others = [row for row in before["orders"] if row["pk"] != order.pk]
    now = list(Order.objects.exclude(pk=order.pk).order_by("pk").values(*before["orders"][0].keys()))
    if others != now:
        problems.append("another order changed")
    return problems


def control(world: World) -> Any:
    return ("waiting", "mine", {}, {})


DOORS: list[Door] = [
    Door(
        "POST /api/v1/orders/{id}/pay/",
        "orders_api:order-pay",
        pay_strategy,
        send_api_pay,
        check_pay,
        lambda response: response.status_code in (200, 201),
        prepare=prepare,
        control=control,
    ),
    Door(
        "POST /orders/{id}/pay/ (form: pay by card)",
        "orders:pay",
        pay_strategy,
        send_page_pay,
        check_pay,
        paid_on_the_page,
        prepare=prepare,
        control=control,
    ),
]


@pytest.mark.parametrize("door_name", [door.name for door in DOORS])
def test_tampering(door_name, scorecard_row):
    attack(next(door for door in DOORS if door.name == door_name), scorecard_row)
