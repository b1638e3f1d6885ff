"""Row 5, the cart: tampered adds, quantity changes and removals change only customer A's own cart,
by exactly what was asked, at the catalogue's price.

Every cart form answers with a redirect and a message, taken or not; what the shop did shows in
the cart's rows, so `send` notes whether they moved and `is_accepted` reads that note. Refused:
the generic check then holds every row still. Taken: the checks below hold the change to exactly
what was asked, on customer A's own cart, at the catalogue's price.

How every door is attacked and judged: tests/security/tampering.py.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from hypothesis import strategies as st

from carts.models import Cart, CartItem
from catalog.models import ProductVariant

from .tampering import (
    FEW_EXAMPLES,
    QUANTITIES,
    Door,
    api,
    attack,
    cart_item_rows,
    changed_beyond,
    injected,
    page,
    raw_json,
    role_problems,
)
from .test_money_and_stock_tampering import cart_checkout_strategy, check_cart_checkout
from .world import World

pytestmark = [pytest.mark.scorecard(row=5), pytest.mark.django_db]


def _note_cart_change(send: Callable[[World, Any], Any]) -> Callable[[World, Any], Any]:
    def sending(world: World, data: Any) -> Any:
        before = cart_item_rows()
        response = send(world, data)
        response.cart_changed = cart_item_rows() != before
        return response

    return sending


def cart_changed(response: Any) -> bool:
    return bool(getattr(response, "cart_changed", False))


def as_whole_number(value: Any) -> int | None:
    """What a form's IntegerField makes of a value it accepts ("3", " 3 ", "3.0"), else None."""
    text = str(value).strip()
    return int(Decimal(text)) if re.fullmatch(r"[+-]?\d+(\.0*)?", text) else None


def cart_totals_problems(world: World) -> list[str]:
    problems = []
    for cart in Cart.all_objects.filter(customer=world.a.user):
        lines = CartItem.objects.filter(cart=cart).values_list("total_price", flat=True)
        if cart.total_amount != sum(lines, Decimal("0.00")):
            problems.append(f"cart total {cart.total_amount}, its lines add up to {sum(lines, Decimal('0.00'))}")
    return problems


def moved_cart_lines(before: dict[str, Any]) -> tuple[dict[int, Any], list[dict[str, Any]]]:
    old = {row["pk"]: row for row in before["cart items"]}
    return old, [row for row in cart_item_rows() if old.get(row["pk"]) != row]


def cart_line_problems(world: World, row: dict[str, Any]) -> list[str]:
    problems = []
    if row["cart__customer_id"] != world.a.user.pk:
        problems.append(f"customer {row['cart__customer_id']}'s cart changed")
    price = ProductVariant.objects.get(pk=row["variant_id"]).price
    if row["unit_price"] != price:
        problems.append(f"line price {row['unit_price']} != catalogue {price}")
    if not 1 <= row["quantity"] <= settings.ORDER_MAX_LINE_QUANTITY:
        problems.append(f"line quantity {row['quantity']} accepted")
    return problems


def cart_add_strategy(world: World) -> st.SearchStrategy:
    variants = [world.seller_a.variant.pk, world.seller_b.variant.pk]
    variant = st.one_of(st.sampled_from(variants), st.sampled_from([0, -1, 10**12, "abc", None, 1.5, ""]))
    duplicate = st.one_of(st.none(), st.fixed_dictionaries({"quantity": QUANTITIES}))
    return st.tuples(variant, QUANTITIES, injected(), duplicate)


@_note_cart_change
def send_cart_add(world: World, data: Any) -> Any:
    variant, quantity, extra, duplicate = data
    form: dict[str, Any] = {**{k: str(v) for k, v in extra.items()}, "quantity": [str(quantity)]}
    if duplicate:
        form["quantity"].append(str(duplicate["quantity"]))
    if variant is not None:
        form["variant_id"] = str(variant)
    return page(world).post("/cart/add/", form)


def check_cart_add(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    variant, quantity, _extra, duplicate = data
    problems = role_problems(world) + changed_beyond(world, before, {"carts", "cart items"})
    old, moved = moved_cart_lines(before)
    if len(moved) != 1:
        return [*problems, f"{len(moved)} cart lines changed"]
    row = moved[0]
    problems += cart_line_problems(world, row) + cart_totals_problems(world)
    if as_whole_number(variant) != row["variant_id"]:
        problems.append(f"sent variant {variant!r}, variant {row['variant_id']} went in")
    sent = duplicate["quantity"] if duplicate else quantity  # a repeated field: the form reads the last
    grew = row["quantity"] - (old[row["pk"]]["quantity"] if row["pk"] in old else 0)
    if as_whole_number(sent) != grew:
        problems.append(f"sent quantity {sent!r}, the line grew by {grew}")
    return problems


def cart_item_strategy(world: World) -> st.SearchStrategy:
    targets = st.sampled_from(["mine", "mine", "mine", "another customer's", "none"])
    return st.tuples(targets, QUANTITIES, injected())


def cart_item_id(world: World, target: str) -> int:
    return {"mine": world.a.cart_item.pk, "another customer's": world.b.cart_item.pk}.get(target, 10**9)


@_note_cart_change
def send_cart_update(world: World, data: Any) -> Any:
    target, quantity, extra = data
    form = {**{k: str(v) for k, v in extra.items()}, "quantity": str(quantity)}
    return page(world).post(f"/cart/items/{cart_item_id(world, target)}/", form)


def check_cart_update(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    target, quantity, _extra = data
    problems = role_problems(world) + changed_beyond(world, before, {"carts", "cart items"})
    old, moved = moved_cart_lines(before)
    if len(moved) != 1 or moved[0]["pk"] != world.a.cart_item.pk or target != "mine":
        return [*problems, f"changed lines {[row['pk'] for row in moved]} for {target} item"]
    row = moved[0]
    wanted = as_whole_number(quantity)
    if wanted == 0:
        if row["deleted_at"] is None or row["quantity"] != old[row["pk"]]["quantity"]:
            problems.append("quantity 0 did not just take the line out")
    else:
        if row["quantity"] != wanted or row["deleted_at"] is not None:
            problems.append(f"sent quantity {quantity!r}, the line holds {row['quantity']}")
        problems += cart_line_problems(world, row)
    return problems + cart_totals_problems(world)


def cart_remove_strategy(world: World) -> st.SearchStrategy:
    return st.tuples(st.sampled_from(["mine", "another customer's", "none"]), injected())


@_note_cart_change
def send_cart_remove(world: World, data: Any) -> Any:
    target, extra = data
    return page(world).post(f"/cart/items/{cart_item_id(world, target)}/remove/", {k: str(v) for k, v in extra.items()})


def check_cart_remove(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    target, _extra = data
    problems = role_problems(world) + changed_beyond(world, before, {"carts", "cart items"})
    _old, moved = moved_cart_lines(before)
    if [row["pk"] for row in moved] != [world.a.cart_item.pk] or target != "mine" or moved[0]["deleted_at"] is None:
        problems.append(f"changed lines {[row['pk'] for row in moved]} removing the {target} item")
    return problems + cart_totals_problems(world)


# --- the cart API (issue 15): JSON, customer A by JWT; the same checks as the forms' -------------


@_note_cart_change
def send_api_cart_add(world: World, data: Any) -> Any:
    variant, quantity, extra, duplicate = data
    body: dict[str, Any] = {**extra, "quantity": quantity}
    if variant is not None:
        body["variant_id"] = variant
    return api(world).post("/api/v1/cart/", raw_json(body, duplicate), content_type="application/json")


@_note_cart_change
def send_api_cart_update(world: World, data: Any) -> Any:
    target, quantity, extra = data
    return api(world).patch(
        f"/api/v1/cart/items/{cart_item_id(world, target)}/",
        raw_json({**extra, "quantity": quantity}, None),
        content_type="application/json",
    )


@_note_cart_change
def send_api_cart_remove(world: World, data: Any) -> Any:
    target, extra = data
    return api(world).delete(
        f"/api/v1/cart/items/{cart_item_id(world, target)}/", raw_json(extra, None), content_type="application/json"
    )


def send_api_cart_checkout(world: World, data: Any) -> Any:
    coupon, key, extra = data
    body = {**extra, **({"coupon_id": coupon} if coupon is not None else {})}
    key = uuid.uuid4().hex if key == "fresh" else key
    return api(world).post(
        "/api/v1/cart/checkout/", raw_json(body, None), content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )


API_DOORS: list[Door] = [
    Door(
        "POST /api/v1/cart/",
        "carts_api:cart",
        cart_add_strategy,
        send_api_cart_add,
        check_cart_add,
        control=lambda w: (w.seller_b.variant.pk, 2, {}, None),
    ),
    Door(
        "PATCH /api/v1/cart/items/{id}/",
        "carts_api:cart-item",
        cart_item_strategy,
        send_api_cart_update,
        check_cart_update,
        cart_changed,  # a 200 that sets the quantity the line holds already changes nothing to judge
        control=lambda w: ("mine", 3, {}),
    ),
    Door(
        "DELETE /api/v1/cart/items/{id}/",
        "carts_api:cart-item",
        cart_remove_strategy,
        send_api_cart_remove,
        check_cart_remove,
        examples=FEW_EXAMPLES,
        control=lambda w: ("mine", {}),
    ),
    Door(
        "POST /api/v1/cart/checkout/",
        "orders_api:cart-checkout",
        cart_checkout_strategy,
        send_api_cart_checkout,
        check_cart_checkout,
        control=lambda w: (None, "fresh", {}),
    ),
]


DOORS: list[Door] = [
    Door(
        "POST /cart/add/ (form)",
        "carts:add",
        cart_add_strategy,
        send_cart_add,
        check_cart_add,
        cart_changed,
        control=lambda w: (w.seller_b.variant.pk, 2, {}, None),
    ),
    Door(
        "POST /cart/items/{id}/ (form)",
        "carts:item_update",
        cart_item_strategy,
        send_cart_update,
        check_cart_update,
        cart_changed,
        control=lambda w: ("mine", 3, {}),
    ),
    Door(
        "POST /cart/items/{id}/remove/",
        "carts:item_remove",
        cart_remove_strategy,
        send_cart_remove,
        check_cart_remove,
        cart_changed,
        examples=FEW_EXAMPLES,
        control=lambda w: ("mine", {}),
    ),
    *API_DOORS,  # the cart API (issue 15)
]


@pytest.mark.parametrize("door_name", [door.name for door in DOORS])
def test_tampering(door_name, scorecard_row):
    attack(next(door for door in DOORS if door.name == door_name), scorecard_row)
