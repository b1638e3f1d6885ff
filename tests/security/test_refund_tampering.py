"""Row 5, refunds (issue 14): staff's `POST /api/v1/refunds/` gives back exactly the amount asked, of
the payment named, to its owner, never past what is left of it, and sets no status, owner or
destination of its own; a refusal (a bad amount, an unknown payment, more than is left, an
injected field) changes nothing. Customers are refused it outright (row 4 and
tests/payments/test_refunds_api.py).

How every door is attacked and judged: tests/security/tampering.py.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import pytest
from hypothesis import strategies as st
from rest_framework.test import APIClient

from payments.models import Payment, Refund, Wallet

from .tampering import AMOUNTS, CENT, Door, attack, changed_beyond, injected, raw_json, role_problems
from .world import World, access_token

pytestmark = [pytest.mark.scorecard(row=5), pytest.mark.django_db]

MONEY_MOVES = {"payments", "refunds", "wallets", "ledger"}


def _payment_of(world: World, who: str) -> int:
    return getattr(world, who).order.payments.values_list("pk", flat=True).get()


def refund_strategy(world: World) -> st.SearchStrategy:
    tampered = st.tuples(
        st.sampled_from(["a", "b", 0, -1, "x", None, 10**12, True]),
        AMOUNTS,
        st.sampled_from(["original", "wallet", "card", "", None, 1]),
        st.sampled_from(["Damaged in transit", "", " ", "x" * 300, None]),
        injected(),
        st.one_of(st.none(), st.fixed_dictionaries({"amount": AMOUNTS})),
    )
    # Well-formed requests too, with only the payment, the amount and the destination varied, so
    # accepted refunds are checked as well as refusals.
    well_formed = st.tuples(
        st.sampled_from(["a", "b"]),
        st.sampled_from(["0.01", "1", "2.50", "5", "7.25", "7.26", "100.00"]),  # B paid 7.25
        st.sampled_from(["original", "wallet", None]),
        st.just("Damaged in transit"),
        st.just({}),
        st.none(),
    )
    return st.one_of(well_formed, tampered)


def _body(world: World, data: Any) -> tuple[dict[str, Any], dict[str, Any] | None]:
    payment, amount, destination, reason, extra, duplicate = data
    body: dict[str, Any] = {
        **extra,
        "payment_id": _payment_of(world, payment) if payment in ("a", "b") else payment,
        "amount": amount,
        "reason": reason,
    }
    if destination is not None:
        body["destination"] = destination
    return body, duplicate


def send_refund(world: World, data: Any) -> Any:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token(world.staff)}")
    body, duplicate = _body(world, data)
    return client.post("/api/v1/refunds/", raw_json(body, duplicate), content_type="application/json")


def check_refund(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    problems = role_problems(world) + changed_beyond(world, before, MONEY_MOVES)
    body, duplicate = _body(world, data)
    sent = (duplicate or {}).get("amount", body["amount"])
    try:
        amount = Decimal(str(sent))
    except InvalidOperation:
        return [*problems, f"accepted the amount {sent!r}"]
    if isinstance(sent, (bool, float)) or not amount.is_finite() or amount <= 0 or amount != amount.quantize(CENT):
        problems.append(f"accepted the amount {sent!r}")
    if Refund.objects.count() != before["refunds"] + 1:
        return [*problems, f"{Refund.objects.count() - before['refunds']} refunds made"]
    refund = Refund.objects.latest("pk")
    payment = Payment.objects.get(pk=refund.payment_id)
    refunded_before = {p["pk"]: p["refunded_amount"] for p in before["payments"]}
    if refund.payment_id != body["payment_id"]:
        problems.append(f"refunded payment {refund.payment_id}, not {body['payment_id']}")
    if refund.amount != amount or payment.refunded_amount - refunded_before[payment.pk] != amount:
        problems.append(f"sent {sent!r}: refund {refund.amount}, payment refunded {payment.refunded_amount}")
    if payment.refunded_amount > payment.amount:
        problems.append(f"payment {payment.pk} refunded {payment.refunded_amount} of {payment.amount}")
    if refund.destination != body.get("destination", "original") or refund.processed_by_id != world.staff.pk:
        problems.append(f"refund destination {refund.destination}, by {refund.processed_by_id}")
    for other in Payment.objects.exclude(pk=payment.pk):
        if other.refunded_amount != refunded_before.get(other.pk, other.refunded_amount):
            problems.append(f"another payment ({other.pk}) changed")
    balances = {w["user_id"]: w["balance"] for w in before["wallets"]}
    for wallet in Wallet.objects.all():
        grew = wallet.balance - balances.get(wallet.user_id, wallet.balance)
        # The world's payments are wallet payments: either destination is a credit to their owner.
        if grew != (amount if wallet.user_id == payment.user_id else 0):
            problems.append(f"wallet of {wallet.user_id} grew by {grew}")
    return problems


DOORS: list[Door] = [
    Door(
        "POST /api/v1/refunds/ (staff)",
        "payments_api:refunds",
        refund_strategy,
        send_refund,
        check_refund,
        control=lambda w: ("a", "1.00", "wallet", "Goodwill", {}, None),
    ),
]


@pytest.mark.parametrize("door_name", [door.name for door in DOORS])
def test_tampering(door_name, scorecard_row):
    attack(next(door for door in DOORS if door.name == door_name), scorecard_row)
