"""Row 5, money and stock: tampered orders (API, product page, cart checkout), wallet top-ups
(API, form), cancellations, coupon claims and seller restocks never set a price, total, balance,
owner or status of their own, never move another's money or stock, and a refusal changes nothing.

How every door is attacked and judged: tests/security/tampering.py.
"""

from __future__ import annotations

import dataclasses
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from hypothesis import strategies as st

from carts.models import Cart
from inventory.models import InventoryItem
from orders.models import Order
from payments.models import Wallet
from promotions.models import Coupon, DiscountType, IssuedCoupon

from .tampering import (
    AMOUNTS,
    CENT,
    FEW_EXAMPLES,
    QUANTITIES,
    Door,
    api,
    as_form,
    attack,
    cents,
    changed_beyond,
    control_problems,
    ignoring_world,
    injected,
    owner_fields,
    page,
    profile_strategy,
    raw_json,
    redirected,
    role_problems,
    sign_in_pages,
)
from .world import World, build_world

pytestmark = [pytest.mark.scorecard(row=5), pytest.mark.django_db]


def order_expected_problems(world: World, order: Order, before: dict[str, Any]) -> list[str]:
    """An accepted order against the server's own computation (catalogue prices, coupon terms)."""
    problems = []
    if order.customer_id != world.a.user.pk:
        problems.append(f"order owned by {order.customer_id}, not the caller")
    if order.status_id != "paid":
        problems.append(f"order status {order.status_id}")
    subtotal = Decimal("0.00")
    for item in order.items.select_related("variant"):
        if item.unit_price != item.variant.price:
            problems.append(f"line price {item.unit_price} != catalogue {item.variant.price}")
        if not 1 <= item.quantity <= settings.ORDER_MAX_LINE_QUANTITY:
            problems.append(f"line quantity {item.quantity} accepted")
        subtotal += item.variant.price * item.quantity
    discount = Decimal("0.00")
    if order.issued_coupon_id:
        issued = IssuedCoupon.objects.select_related("coupon").get(pk=order.issued_coupon_id)
        if issued.user_id != world.a.user.pk:
            problems.append("another customer's coupon was used")
        coupon = issued.coupon
        if coupon.discount_type == DiscountType.AMOUNT:
            discount = min(coupon.discount_value, subtotal)
        else:
            discount = cents(subtotal * coupon.discount_value / 100)
            if coupon.max_discount_amount is not None:
                discount = min(discount, coupon.max_discount_amount)
    total = subtotal - discount
    if (order.subtotal, order.discount_amount, order.total_amount) != (subtotal, discount, total):
        problems.append(
            f"totals {order.subtotal}/{order.discount_amount}/{order.total_amount}, server computes "
            f"{subtotal}/{discount}/{total}"
        )
    balance_before = {w["user_id"]: w["balance"] for w in before["wallets"]}[world.a.user.pk]
    balance_after = Wallet.objects.get(user=world.a.user).balance
    if balance_before - balance_after != order.total_amount:
        problems.append(f"wallet moved {balance_before - balance_after}, the order costs {order.total_amount}")
    return problems


def new_order(before: dict[str, Any]) -> Order | None:
    known = {o["pk"] for o in before["orders"]}
    return Order.objects.exclude(pk__in=known).order_by("pk").last()


def check_order(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    order = new_order(before)
    if order is None:
        return ["accepted, but no order was made"]
    return order_expected_problems(world, order, before) + role_problems(world)


def order_body(world: World) -> st.SearchStrategy:
    """Mostly a valid basket with one or two things tampered, sometimes nothing valid at all."""
    variants = [world.seller_a.variant.pk, world.seller_b.variant.pk]
    good_line = st.fixed_dictionaries({"variant_id": st.sampled_from(variants), "quantity": st.integers(1, 3)})
    bad_line = st.fixed_dictionaries(
        {
            "variant_id": st.one_of(st.sampled_from(variants), st.sampled_from([0, -1, 10**12, "abc", None, 1.5])),
            "quantity": QUANTITIES,
        },
        optional={"unit_price": st.just("0.01"), "price": st.just("0.01"), "total_price": st.just("0.00")},
    )
    lines = st.one_of(
        st.lists(good_line, min_size=1, max_size=3),
        st.lists(st.one_of(good_line, bad_line), min_size=0, max_size=3),
    )
    coupons = st.sampled_from(
        [None, None, world.a.issued_coupon.pk, world.b.issued_coupon.pk, world.coupon.pk, -1, "x"]
    )
    extras = st.one_of(st.just({}), injected())
    duplicates = st.one_of(
        st.none(), st.fixed_dictionaries({"items": st.lists(st.one_of(good_line, bad_line), min_size=1, max_size=2)})
    )
    return st.tuples(lines, coupons, extras, duplicates)


def send_api_order(world: World, data: Any) -> Any:
    lines, coupon, extra, duplicate = data
    body: dict[str, Any] = {"items": lines, **extra}
    if coupon is not None:
        body["coupon_id"] = coupon
    return api(world).post(
        "/api/v1/orders/",
        raw_json(body, duplicate),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )


def send_page_order(world: World, data: Any) -> Any:
    lines, coupon, extra, duplicate = data
    form: dict[str, Any] = {"idempotency_key": uuid.uuid4().hex, **{k: str(v) for k, v in extra.items()}}
    if lines:
        first = lines[0]
        form["variant_id"] = [str(first["variant_id"])] + (
            [str(lines[1]["variant_id"])] if duplicate and len(lines) > 1 else []
        )
        form["quantity"] = [str(first["quantity"])] + (
            [str(line["quantity"]) for line in lines[1:]] if duplicate else []
        )
        if len(lines) > 1 and not duplicate:
            form["line_variant_id"] = [str(line["variant_id"]) for line in lines]
            form["line_quantity"] = [str(line["quantity"]) for line in lines]
    if coupon is not None:
        form["coupon_id"] = str(coupon)
    return page(world).post("/orders/place/", form, HTTP_REFERER="/products/")


def page_order_accepted(response: Any) -> bool:
    location = response.get("Location", "") if response.status_code == 302 else ""
    return location.startswith("/orders/") and location.rstrip("/").split("/")[-1].isdigit()


def cart_checkout_strategy(world: World) -> st.SearchStrategy:
    coupons = st.sampled_from(
        [None, None, world.a.issued_coupon.pk, world.b.issued_coupon.pk, world.coupon.pk, -1, "x"]
    )
    keys = st.one_of(st.just("fresh"), st.sampled_from(["", " ", "not a key!", "x" * 65]))
    return st.tuples(coupons, keys, injected())


def send_cart_checkout(world: World, data: Any) -> Any:
    coupon, key, extra = data
    form = {**{k: str(v) for k, v in extra.items()}, "idempotency_key": uuid.uuid4().hex if key == "fresh" else key}
    if coupon is not None:
        form["coupon_id"] = str(coupon)
    return page(world).post("/orders/checkout/", form, HTTP_REFERER="/cart/")


def check_cart_checkout(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    order = new_order(before)
    if order is None:
        return ["accepted, but no order was made"]
    problems = order_expected_problems(world, order, before) + role_problems(world)
    in_cart = sorted(
        (row["variant_id"], row["quantity"])
        for row in before["cart items"]
        # The active cart's live lines (not a saved cart's copy, which checkout leaves alone).
        if row["cart__customer_id"] == world.a.user.pk and row["cart__status"] == "active" and row["deleted_at"] is None
    )
    ordered = sorted(order.items.values_list("variant_id", "quantity"))
    if ordered != in_cart:
        problems.append(f"ordered {ordered}, the cart held {in_cart}")
    if Cart.objects.filter(customer=world.a.user, status="active").exists():
        problems.append("the cart is still open after its checkout")
    return problems


def charge_strategy() -> st.SearchStrategy:
    return st.tuples(AMOUNTS, injected(), st.one_of(st.none(), st.fixed_dictionaries({"amount": AMOUNTS})))


def charge_problems(world: World, sent_amount: Any, before: dict[str, Any]) -> list[str]:
    problems = role_problems(world)
    balance_before = {w["user_id"]: w["balance"] for w in before["wallets"]}[world.a.user.pk]
    added = Wallet.objects.get(user=world.a.user).balance - balance_before
    if isinstance(sent_amount, bool) or sent_amount is None or isinstance(sent_amount, (list, dict)):
        return [*problems, f"accepted the amount {sent_amount!r}"]
    try:
        # A JSON number is read as a Decimal by the wallet API (never a float): 1.1 is 1.10.
        amount = Decimal(repr(sent_amount) if isinstance(sent_amount, float) else str(sent_amount).strip())
    except ArithmeticError:
        return [*problems, f"accepted the amount {sent_amount!r}"]
    if not amount.is_finite() or amount <= 0 or amount > settings.WALLET_MAX_CHARGE or amount != amount.quantize(CENT):
        problems.append(f"accepted the amount {sent_amount!r}")
    elif added != amount:
        problems.append(f"sent {sent_amount!r}, the wallet grew by {added}")
    others = {w["user_id"]: w["balance"] for w in before["wallets"] if w["user_id"] != world.a.user.pk}
    for wallet in Wallet.objects.exclude(user=world.a.user):
        if others.get(wallet.user_id, wallet.balance) != wallet.balance:
            problems.append(f"another wallet ({wallet.user_id}) changed")
    return problems


def send_api_charge(world: World, data: Any) -> Any:
    amount, extra, duplicate = data
    return api(world).post(
        "/api/v1/wallet/charge/", raw_json({"amount": amount, **extra}, duplicate), content_type="application/json"
    )


def check_api_charge(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    amount, _extra, duplicate = data
    return charge_problems(world, (duplicate or {}).get("amount", amount), before)


def send_page_charge(world: World, data: Any) -> Any:
    amount, extra, duplicate = data
    form: dict[str, Any] = {**{k: str(v) for k, v in extra.items()}, "amount": [str(amount)]}
    if duplicate:
        form["amount"].append(str(duplicate["amount"]))
    return page(world).post("/wallet/", form)


def check_page_charge(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    amount, _extra, duplicate = data
    return charge_problems(world, str(duplicate["amount"]) if duplicate else str(amount), before)


def page_charge_accepted(response: Any) -> bool:
    return response.status_code == 302


def send_cancel(world: World, data: Any) -> Any:
    _name, extra = data
    return api(world).post(
        f"/api/v1/orders/{world.a.order.pk}/cancel/", {"reason": "changed my mind", **extra}, format="json"
    )


def check_cancel(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    problems = role_problems(world)
    order = Order.objects.get(pk=world.a.order.pk)
    balance_before = {w["user_id"]: w["balance"] for w in before["wallets"]}[world.a.user.pk]
    refunded = Wallet.objects.get(user=world.a.user).balance - balance_before
    if order.status_id != "cancelled":
        problems.append(f"cancel accepted, status {order.status_id}")
    if refunded != order.total_amount:
        problems.append(f"cancel refunded {refunded} of an order of {order.total_amount}")
    return problems


def send_page_cancel(world: World, data: Any) -> Any:
    _name, extra = data
    return page(world).post(
        f"/orders/{world.a.order.pk}/cancel/", {**{k: str(v) for k, v in extra.items()}, "reason": "changed my mind"}
    )


def send_claim(world: World, data: Any) -> Any:
    _name, extra = data
    return api(world).post(f"/api/v1/coupons/{world.spare_coupon.pk}/claim/", extra, format="json")


def check_claim(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    problems = role_problems(world)
    held = IssuedCoupon.objects.filter(coupon=world.spare_coupon)
    if list(held.values_list("user_id", flat=True)) != [world.a.user.pk]:
        problems.append(f"the claim issued coupons to {list(held.values_list('user_id', flat=True))}")
    left = Coupon.objects.get(pk=world.spare_coupon.pk).quantity
    if left != world.spare_coupon.initial_quantity - 1:
        problems.append(f"{left} left after one claim")
    return problems


def coupon_claim_strategy(world: World) -> st.SearchStrategy:
    return st.tuples(
        st.sampled_from(["spare", "spare", "held", "missing"]),
        st.sampled_from(["a", "a", "a", "visitor"]),
        owner_fields(world, ["user", "user_id", "coupon_id", "quantity", "used_at"]),
        injected(),
    )


def send_page_claim(world: World, data: Any) -> Any:
    coupon, who, owner, extra = data
    coupon_pk = {"spare": world.spare_coupon.pk, "held": world.coupon.pk, "missing": 10**9}[coupon]
    client = page(world) if who == "a" else Client()
    return client.post(f"/coupons/{coupon_pk}/claim/", as_form({**owner, **extra}))


def check_page_claim(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    coupon, who, _owner, _extra = data
    problems = role_problems(world) + changed_beyond(world, before, {"coupons", "issued"})
    known = {row["pk"] for row in before["issued"]}
    new = list(IssuedCoupon.objects.exclude(pk__in=known).values("user_id", "coupon_id"))
    expected = (
        [{"user_id": world.a.user.pk, "coupon_id": world.spare_coupon.pk}] if (coupon, who) == ("spare", "a") else []
    )
    if new != expected:
        problems.append(f"the claim issued {new}, expected {expected}")
    quantities = {row["pk"]: row["quantity"] for row in before["coupons"]}
    for row in Coupon.objects.values("pk", "quantity"):
        taken = sum(1 for issued in new if issued["coupon_id"] == row["pk"])
        if quantities.get(row["pk"], row["quantity"]) - taken != row["quantity"]:
            problems.append(f"coupon {row['pk']}: {quantities.get(row['pk'])} -> {row['quantity']} with {taken} issued")
    return problems


def restock_strategy() -> st.SearchStrategy:
    return st.tuples(QUANTITIES, injected(), st.one_of(st.none(), QUANTITIES))


def send_restock(world: World, data: Any) -> Any:
    quantity, extra, duplicate = data
    client = page(world, world.seller_a.user)
    form: dict[str, Any] = {**{k: str(v) for k, v in extra.items()}, "quantity": [str(quantity)], "reason": "probe"}
    if duplicate is not None:
        form["quantity"].append(str(duplicate))
    return client.post(f"/seller/variants/{world.seller_a.variant.pk}/restock/", form)


def check_restock(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    from inventory.forms import MAX_UNITS_PER_CHANGE

    quantity, _extra, duplicate = data
    sent = str(duplicate if duplicate is not None else quantity)  # a form field reads the last value
    problems = role_problems(world)
    stock_before = {row["pk"]: row["quantity"] for row in before["stock"]}
    item = world.seller_a.inventory_item
    added = InventoryItem.objects.get(pk=item.pk).quantity - stock_before[item.pk]
    if not sent.strip().lstrip("-").isdigit() or not 1 <= int(sent) <= MAX_UNITS_PER_CHANGE:
        problems.append(f"restock accepted the quantity {sent!r} (added {added})")
    elif added != int(sent):
        problems.append(f"sent {sent}, stock grew by {added}")
    for row in InventoryItem.objects.exclude(pk=item.pk):
        if stock_before.get(row.pk, row.quantity) != row.quantity:
            problems.append(f"another stock row ({row.pk}) changed")
    return problems


def send_api_quote(world: World, data: Any) -> Any:
    lines, coupon, extra, duplicate = data
    body: dict[str, Any] = {"items": lines, **extra}
    if coupon is not None:
        body["coupon_id"] = coupon
    return api(world).post("/api/v1/checkout/quote/", raw_json(body, duplicate), content_type="application/json")


def check_quote(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    """A quote writes nothing, and its numbers add up."""
    problems = changed_beyond(world, before, set())
    body = response.json()
    adds_up = Decimal(body["subtotal"]) - Decimal(body["discount"]) + Decimal(body["shipping"]) + Decimal(body["tax"])
    if Decimal(body["total"]) != adds_up or Decimal(body["discount"]) > Decimal(body["subtotal"]):
        problems.append(f"the quote does not add up: {body}")
    return problems


DOORS: list[Door] = [
    Door(
        "POST /api/v1/orders/",
        "orders_api:order-list",
        order_body,
        send_api_order,
        check_order,
        control=lambda w: ([{"variant_id": w.seller_a.variant.pk, "quantity": 2}], None, {}, None),
    ),
    # --- pricing
    Door(
        "POST /api/v1/checkout/quote/",
        "orders_api:checkout-quote",
        order_body,
        send_api_quote,
        check_quote,
        control=lambda w: ([{"variant_id": w.seller_a.variant.pk, "quantity": 2}], None, {}, None),
    ),
    Door(
        "POST /orders/place/ (form)",
        "orders:place",
        order_body,
        send_page_order,
        check_order,
        page_order_accepted,
        control=lambda w: ([{"variant_id": w.seller_a.variant.pk, "quantity": 2}], None, {}, None),
    ),
    Door(
        "POST /orders/checkout/ (form, the cart)",
        "orders:checkout",
        cart_checkout_strategy,
        send_cart_checkout,
        check_cart_checkout,
        page_order_accepted,
        control=lambda w: (None, "fresh", {}),
    ),
    Door(
        "POST /api/v1/wallet/charge/",
        "payments_api:wallet_charge",
        ignoring_world(charge_strategy),
        send_api_charge,
        check_api_charge,
        control=lambda w: ("25.00", {}, None),
    ),
    Door(
        "POST /wallet/ (form)",
        "payments:wallet",
        ignoring_world(charge_strategy),
        send_page_charge,
        check_page_charge,
        page_charge_accepted,
        control=lambda w: ("25.00", {}, None),
    ),
    Door(
        "POST /api/v1/orders/{id}/cancel/",
        "orders_api:order-cancel",
        ignoring_world(profile_strategy),
        send_cancel,
        check_cancel,
        control=lambda w: ("", {}),
    ),
    Door(
        "POST /api/v1/coupons/{id}/claim/",
        "promotions_api:coupon_claim",
        ignoring_world(profile_strategy),
        send_claim,
        check_claim,
        control=lambda w: ("", {}),
    ),
    Door(
        "POST /coupons/{id}/claim/ (form)",
        "promotions:coupon_claim",
        coupon_claim_strategy,
        send_page_claim,
        check_page_claim,
        redirected,
        examples=FEW_EXAMPLES,
        control=lambda w: ("spare", "a", {}, {}),
    ),
    Door(
        "POST /orders/{id}/cancel/ (form)",
        "orders:cancel",
        ignoring_world(profile_strategy),
        send_page_cancel,
        check_cancel,
        redirected,
        control=lambda w: ("", {}),
    ),
    Door(
        "POST /seller/variants/{id}/restock/ (form)",
        "inventory:seller_restock",
        ignoring_world(restock_strategy),
        send_restock,
        check_restock,
        redirected,
        control=lambda w: (5, {}, None),
    ),
]


@pytest.mark.parametrize("door_name", [door.name for door in DOORS])
def test_tampering(door_name, scorecard_row):
    attack(next(door for door in DOORS if door.name == door_name), scorecard_row)


@pytest.mark.parametrize(
    ("door_name", "path"),
    [("POST /api/v1/orders/", "/api/v1/orders/"), ("POST /api/v1/wallet/charge/", "/api/v1/wallet/charge/")],
)
def test_an_endpoint_refusing_every_request_fails_the_untampered_control(door_name, path):
    """A refusal only has to change nothing, so an endpoint that refused every request would pass
    every tampered example; the untampered request is what tells it from a working one."""
    door = next(door for door in DOORS if door.name == door_name)
    world = build_world()
    sign_in_pages(world)

    def refuse_everything(world: World, data: Any) -> Any:
        return api(world).post(path, "{", content_type="application/json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)

    assert control_problems(world, door) == []
    problems = control_problems(world, dataclasses.replace(door, send=refuse_everything))
    assert len(problems) == 1 and problems[0].startswith("the untampered request was refused (400;"), problems
