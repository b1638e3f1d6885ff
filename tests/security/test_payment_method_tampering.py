"""Row 5, saved payment methods and paid top-ups: tampered requests to save, remove or make
default a card (API and pages) never save a card to another account, take the brand, last four
digits, expiry, owner or status from the request, save a token twice, touch another customer's
card, or leave a customer with two default cards; a tampered paid top-up never charges another
customer's card, credits another wallet, or credits other than the amount its card payment
captured, once; a refusal changes nothing.

How every door is attacked and judged: tests/security/tampering.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import strategies as st

from payments.gateways.sandbox import sandbox_card_of, sandbox_tokenize
from payments.models import Payment, PaymentMethod, WalletEntry
from payments.services.methods import payment_method_add

from .tampering import (
    AMOUNTS,
    FEW_EXAMPLES,
    Door,
    api,
    as_form,
    attack,
    changed_beyond,
    injected,
    owner_fields,
    page,
    raw_json,
    redirected,
    role_problems,
)
from .test_money_and_stock_tampering import charge_problems
from .world import World

pytestmark = [pytest.mark.scorecard(row=5), pytest.mark.django_db]

# Fields of a saved card only the gateway (brand, digits, expiry) or the server (owner, status) set.
CARD_FIELDS = st.dictionaries(
    st.sampled_from(["brand", "last4", "exp_month", "exp_year", "status", "gateway", "gateway_id", "method_type"]),
    st.sampled_from(["Amex", "0000", 1, 2001, "inactive", "expired", 99, "wallet", None]),
    max_size=3,
)
# Mostly good values, so that many tampered requests are accepted and judged (not only refused).
BILLING_TEXT = st.one_of(
    st.sampled_from(["Ada Lovelace", "", " padded ", "<b>x</b>"]),
    st.sampled_from(["x" * 151, "4242 4242 4242 4242", 7]),
)
COUNTRIES = st.one_of(st.sampled_from(["GB", "us", ""]), st.sampled_from(["XX", "GBR", 1]))
TOKENS = st.one_of(st.just("fresh"), st.sampled_from(["fresh", "mine", "theirs", "garbage", "expired", "", 5, None]))


def _card(years_ahead: int = 3) -> str:
    year = timezone.localdate().year + years_ahead
    return sandbox_tokenize(number="5555555555554444", exp_month=6, exp_year=year, cvc="123").token


def _token(world: World, kind: Any) -> Any:
    assert world.a.payment_method is not None and world.b.payment_method is not None
    return {
        "fresh": _card,
        "mine": lambda: world.a.payment_method.token,
        "theirs": lambda: world.b.payment_method.token,
        "garbage": lambda: "tok_nothing",
        "expired": lambda: (
            sandbox_tokenize(
                number="4242424242424242",
                exp_month=1,
                exp_year=2001,
                cvc="123",
                today=dt.date(2000, 6, 1),
            ).token
        ),
    }.get(kind, lambda: kind)()


def save_strategy(world: World) -> st.SearchStrategy:
    billing = st.fixed_dictionaries(
        {},
        optional={"billing_name": BILLING_TEXT, "billing_city": BILLING_TEXT, "billing_country": COUNTRIES},
    )
    is_default = st.sampled_from([True, False, None, None, "yes"])
    return st.tuples(TOKENS, billing, is_default, CARD_FIELDS, owner_fields(world, ["user", "user_id"]), injected())


def send_api_save(world: World, data: Any) -> Any:
    kind, billing, is_default, card, owner, extra = data
    body: dict[str, Any] = {**extra, **owner, **card, **billing}
    token = _token(world, kind)
    world.__dict__["last token"] = token
    if token is not None:
        body["token"] = token
    if is_default is not None:
        body["is_default"] = is_default
    return api(world).post("/api/v1/payment-methods/", body, format="json")


def _one_default_each(before_users: set[int]) -> list[str]:
    problems = []
    for user_id in before_users:
        defaults = PaymentMethod.objects.filter(user_id=user_id, is_default=True, status="active").count()
        if defaults > 1:
            problems.append(f"user {user_id} has {defaults} default cards")
    return problems


def check_save(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    kind, _billing, is_default, _card_fields, _owner, _extra = data
    problems = role_problems(world) + changed_beyond(world, before, {"payment methods"})
    known = {row["pk"] for row in before["payment methods"]}
    new = list(PaymentMethod.objects.exclude(pk__in=known))
    if len(new) != 1:
        return [*problems, f"{len(new)} cards saved by one accepted request"]
    method = new[0]
    if kind != "fresh":
        problems.append(f"a {kind!r} token was saved")
    token = world.__dict__["last token"]
    card = sandbox_card_of(token)
    if method.user_id != world.a.user.pk:
        problems.append(f"the card was saved to user {method.user_id}")
    if (method.token, method.brand, method.last4, method.exp_month, method.exp_year) != (
        token,
        card.brand,
        card.last4,
        card.exp_month,
        card.exp_year,
    ):
        problems.append(f"the card's details came from the request: {method.brand} {method.last4}")
    if (method.status, method.method_type, method.gateway.code) != ("active", "card", "sandbox"):
        problems.append(f"status/type/gateway from the request: {method.status} {method.method_type}")
    if method.is_default is not (is_default is True):  # A already has a default card
        problems.append(f"is_default={method.is_default} when asked {is_default!r}")
    for name in ("billing_name", "billing_city"):
        if "4242" in getattr(method, name):
            problems.append(f"a card number was kept in {name}")
    for row in before["payment methods"]:
        now = PaymentMethod.objects.filter(pk=row["pk"]).values(*row).get()
        if row["user_id"] != world.a.user.pk and now != row:
            problems.append(f"another customer's card {row['pk']} changed")
    return problems + _one_default_each({world.a.user.pk, world.b.user.pk})


def billing_form_strategy(world: World) -> st.SearchStrategy:
    billing = st.fixed_dictionaries(
        {},
        optional={
            "billing_name": BILLING_TEXT,
            "billing_line1": BILLING_TEXT,
            "billing_postal_code": st.sampled_from(["N1 9GU", "1" * 21, ""]),
            "billing_country": COUNTRIES,
            "make_default": st.sampled_from(["on", "", "yes"]),
        },
    )
    return st.tuples(billing, CARD_FIELDS, owner_fields(world, ["user", "user_id", "token"]), injected())


def send_billing_form(world: World, data: Any) -> Any:
    billing, card, owner, extra = data
    values = {k: v for k, v in {**extra, **owner, **card, **billing}.items() if v is not None}
    return page(world).post("/wallet/methods/new/?next=https://evil.example/", as_form(values))


def check_billing_form(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    problems = role_problems(world) + changed_beyond(world, before, set())
    location = response["Location"]
    if not location.startswith("/sandbox-gateway/cards/new/?return=%2Fwallet%2Fmethods%2Fadd%2F%3Fstate%3D"):
        problems.append(f"the billing form sent the customer to {location}")
    return problems


# --- remove and make default --------------------------------------------------------------------


def add_second_card(world: World) -> None:
    payment_method_add(user=world.a.user, token=_card(years_ahead=4))


def second_card(world: World) -> int:
    return PaymentMethod.objects.filter(user=world.a.user, is_default=False).values_list("pk", flat=True).get()


def target_strategy(world: World) -> st.SearchStrategy:
    """Customer A's cards (the default and another), customer B's, and ids that name nothing."""
    assert world.b.payment_method is not None
    own = list(PaymentMethod.objects.filter(user=world.a.user).order_by("pk").values_list("pk", flat=True))
    targets = st.sampled_from([*own, *own, world.b.payment_method.pk, 10**9, 0])
    return st.tuples(targets, owner_fields(world, ["user", "user_id", "is_default", "status"]), injected())


def send_page_remove(world: World, data: Any) -> Any:
    target, owner, extra = data
    return page(world).post(f"/wallet/methods/{target}/remove/", as_form({**owner, **extra}))


def send_api_remove(world: World, data: Any) -> Any:
    target, owner, extra = data
    return api(world).delete(f"/api/v1/payment-methods/{target}/", {**owner, **extra}, format="json")


def send_page_default(world: World, data: Any) -> Any:
    target, owner, extra = data
    return page(world).post(f"/wallet/methods/{target}/default/", as_form({**owner, **extra}))


def send_api_default(world: World, data: Any) -> Any:
    target, owner, extra = data
    return api(world).post(f"/api/v1/payment-methods/{target}/default/", {**owner, **extra}, format="json")


def _fields(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("is_default", "status")}


def _accepted_target(world: World, target: Any, before: dict[str, Any]) -> dict[str, Any] | None:
    row = next((r for r in before["payment methods"] if r["pk"] == target), None)
    return row if row is not None and row["user_id"] == world.a.user.pk and row["status"] == "active" else None


def check_remove(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    target = data[0]
    problems = role_problems(world) + changed_beyond(world, before, {"payment methods"})
    if _accepted_target(world, target, before) is None:
        return [*problems, f"removing card {target}, not one of customer A's, was accepted"]
    for row in before["payment methods"]:
        now = PaymentMethod.objects.filter(pk=row["pk"]).values(*row).get()
        if _fields(now) != _fields(row):
            problems.append(f"card {row['pk']}'s details changed")
        if row["pk"] == target and (now["status"], now["is_default"]) != ("inactive", False):
            problems.append(f"the removed card is {now['status']}, default={now['is_default']}")
        if row["pk"] != target and now["status"] != row["status"]:
            problems.append(f"card {row['pk']} changed status")
        if row["user_id"] != world.a.user.pk and now != row:
            problems.append(f"another customer's card {row['pk']} changed")
    mine = PaymentMethod.objects.filter(user=world.a.user, status="active")
    if mine.exists() and mine.filter(is_default=True).count() != 1:
        problems.append("customer A's cards have no default after a removal")
    return problems + _one_default_each({world.a.user.pk, world.b.user.pk})


def check_default(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    target = data[0]
    problems = role_problems(world) + changed_beyond(world, before, {"payment methods"})
    if _accepted_target(world, target, before) is None:
        return [*problems, f"making card {target}, not one of customer A's, the default was accepted"]
    for row in before["payment methods"]:
        now = PaymentMethod.objects.filter(pk=row["pk"]).values(*row).get()
        if _fields(now) != _fields(row) or now["status"] != row["status"]:
            problems.append(f"card {row['pk']} changed beyond its default flag")
        if row["user_id"] == world.a.user.pk and now["is_default"] != (row["pk"] == target):
            problems.append(f"card {row['pk']} default={now['is_default']} after making {target} the default")
        if row["user_id"] != world.a.user.pk and now != row:
            problems.append(f"another customer's card {row['pk']} changed")
    return problems


# --- paid top-ups ----------------------------------------------------------------------------------


def paid_topup_strategy(world: World) -> st.SearchStrategy:
    assert world.b.payment_method is not None
    methods = st.one_of(
        st.just("mine"),
        st.sampled_from(["mine as text", world.b.payment_method.pk, 10**9, 0, -1, "x", 1.5, True, None]),
    )
    return st.tuples(AMOUNTS, methods, injected())


def send_paid_topup(world: World, data: Any) -> Any:
    amount, method, extra = data
    assert world.a.payment_method is not None
    body: dict[str, Any] = {**extra, "amount": amount}
    mine = world.a.payment_method.pk
    if method is not None:
        body["payment_method_id"] = {"mine": mine, "mine as text": str(mine)}.get(method, method)
    return api(world).post("/api/v1/wallet/charge/", raw_json(body, None), content_type="application/json")


def check_paid_topup(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    amount, method, _extra = data
    problems = charge_problems(world, amount, before) + changed_beyond(world, before, {"wallets", "ledger", "payments"})
    known_payments = {row["pk"] for row in before["payments"]}
    if method is None:  # no card: the free top-up (WALLET_FREE_TOPUP is on in tests), no payment
        if Payment.objects.exclude(pk__in=known_payments).exists():
            problems.append("a free top-up made a payment")
        return problems
    if method not in ("mine", "mine as text"):
        return [*problems, f"a top-up with payment_method_id={method!r} was accepted"]
    known = {row["pk"] for row in before["payments"]}
    new = list(Payment.objects.exclude(pk__in=known))
    if len(new) != 1:
        return [*problems, f"{len(new)} payments made by one accepted top-up"]
    payment = new[0]
    if (payment.user_id, payment.payment_method_id, payment.purpose) != (
        world.a.user.pk,
        world.a.payment_method.pk if world.a.payment_method else None,
        "wallet_topup",
    ):
        problems.append(f"the payment is {payment.user_id}'s, card {payment.payment_method_id}, {payment.purpose}")
    entries = list(WalletEntry.objects.filter(payment=payment))
    if payment.status != "captured" or len(entries) != 1 or entries[0].amount != payment.captured_amount:
        problems.append(f"a {payment.status} top-up of {payment.captured_amount} credited {len(entries)} entries")
    if WalletEntry.objects.count() != before["ledger"] + 1:
        problems.append("more than one ledger row for one top-up")
    return problems


DOORS: list[Door] = [
    Door(
        "POST /api/v1/payment-methods/",
        "payments_api:payment_methods",
        save_strategy,
        send_api_save,
        check_save,
        control=lambda w: ("fresh", {"billing_name": "Customer 1", "billing_country": "GB"}, None, {}, {}, {}),
    ),
    Door(
        "POST /api/v1/wallet/charge/ (paid with a saved card)",
        "payments_api:wallet_charge",
        paid_topup_strategy,
        send_paid_topup,
        check_paid_topup,
        control=lambda w: ("25.00", "mine", {}),
    ),
    Door(
        "POST /wallet/methods/new/ (form)",
        "payments:method_new",
        billing_form_strategy,
        send_billing_form,
        check_billing_form,
        redirected,
        examples=FEW_EXAMPLES,
        control=lambda w: ({"billing_name": "Customer 1", "billing_country": "GB"}, {}, {}, {}),
    ),
    Door(
        "POST /wallet/methods/{id}/remove/",
        "payments:method_remove",
        target_strategy,
        send_page_remove,
        check_remove,
        redirected,
        add_second_card,
        FEW_EXAMPLES,
        control=lambda w: (second_card(w), {}, {}),
    ),
    Door(
        "DELETE /api/v1/payment-methods/{id}/",
        "payments_api:payment_method",
        target_strategy,
        send_api_remove,
        check_remove,
        prepare=add_second_card,
        examples=FEW_EXAMPLES,
        control=lambda w: (second_card(w), {}, {}),
    ),
    Door(
        "POST /wallet/methods/{id}/default/",
        "payments:method_default",
        target_strategy,
        send_page_default,
        check_default,
        redirected,
        add_second_card,
        FEW_EXAMPLES,
        control=lambda w: (second_card(w), {}, {}),
    ),
    Door(
        "POST /api/v1/payment-methods/{id}/default/",
        "payments_api:payment_method_default",
        target_strategy,
        send_api_default,
        check_default,
        prepare=add_second_card,
        examples=FEW_EXAMPLES,
        control=lambda w: (second_card(w), {}, {}),
    ),
]


@pytest.mark.parametrize("door_name", [door.name for door in DOORS])
def test_tampering(door_name, scorecard_row):
    attack(next(door for door in DOORS if door.name == door_name), scorecard_row)
