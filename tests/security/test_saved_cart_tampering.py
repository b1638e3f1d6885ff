"""Row 5, saved carts and "Empty cart": tampered saves, restores, deletes and emptyings change
only customer A's own carts, by exactly what was asked, at the catalogue's price.

Each door notes whether the carts' rows moved (`_note_change`) and is judged "taken" by that, as
the cart doors are (test_cart_tampering.py): refused, the generic check holds every row still;
taken, the checks below hold the change to exactly what was asked.

How every door is attacked and judged: tests/security/tampering.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from hypothesis import strategies as st

from carts.models import Cart, CartItem, CartSnapshot, CartStatus, SavedCart, SnapshotType
from carts.selectors import active_carts
from catalog.models import ProductVariant

from .tampering import (
    FEW_EXAMPLES,
    Door,
    api,
    as_form,
    attack,
    cart_item_rows,
    changed_beyond,
    injected,
    page,
    raw_json,
    role_problems,
)
from .test_cart_tampering import cart_totals_problems
from .world import World

pytestmark = [pytest.mark.scorecard(row=5), pytest.mark.django_db]


def saved_rows() -> list[dict[str, Any]]:
    return list(SavedCart.objects.order_by("pk").values("pk", "customer_id", "cart_id", "name", "description"))


def cart_rows() -> list[dict[str, Any]]:
    return list(Cart.all_objects.order_by("pk").values("pk", "customer_id", "status", "deleted_at"))


def _note_change(send: Callable[[World, Any], Any]) -> Callable[[World, Any], Any]:
    def sending(world: World, data: Any) -> Any:
        before = (cart_item_rows(), saved_rows(), cart_rows())
        response = send(world, data)
        response.rows_changed = (cart_item_rows(), saved_rows(), cart_rows()) != before
        response.rows_before = before
        return response

    return sending


def rows_changed(response: Any) -> bool:
    return bool(getattr(response, "rows_changed", False))


def active_lines(world: World) -> dict[int, tuple[int, Any]]:
    return {
        row["variant_id"]: (row["quantity"], row["unit_price"])
        for row in CartItem.objects.filter(cart__in=active_carts(user=world.a.user)).values(
            "variant_id", "quantity", "unit_price"
        )
    }


TARGETS = st.sampled_from(["mine", "mine", "another customer's", "none"])


def saved_id(world: World, target: str) -> int:
    assert world.a.saved_cart is not None and world.b.saved_cart is not None
    return {"mine": world.a.saved_cart.pk, "another customer's": world.b.saved_cart.pk}.get(target, 10**9)


# --- save -----------------------------------------------------------------------------------------

NAMES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", " ", "x" * 100, "x" * 101, "<script>alert(1)</script>", "a\x00b", "Party"]),
)
DESCRIPTIONS = st.one_of(st.none(), st.text(max_size=30), st.sampled_from(["d" * 1000, "d" * 1001]))


def save_strategy(world: World) -> st.SearchStrategy:
    return st.tuples(NAMES, DESCRIPTIONS, injected(), st.one_of(st.none(), NAMES))


def check_save(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    name, description, _extra, duplicate = data
    problems = role_problems(world) + changed_beyond(world, before, {"carts", "cart items"})
    _items, saved_before, _carts = response.rows_before
    new = [row for row in saved_rows() if row not in saved_before]
    if len(new) != 1 or len(saved_rows()) != len(saved_before) + 1:
        return [*problems, f"{len(new)} saved carts made"]
    row = new[0]
    sent = duplicate if duplicate is not None else name  # a repeated field or key: the last is read
    if row["customer_id"] != world.a.user.pk:
        problems.append(f"saved for customer {row['customer_id']}")
    if not isinstance(sent, str) or row["name"] != sent.strip():
        problems.append(f"sent name {sent!r}, saved {row['name']!r}")
    if row["description"] != (description or "").strip():
        problems.append(f"sent description {description!r}, saved {row['description']!r}")
    copy = Cart.objects.get(pk=row["cart_id"])
    if copy.status != CartStatus.SAVED or copy.customer_id != world.a.user.pk:
        problems.append(f"the copy is {copy.status} of customer {copy.customer_id}")
    lines = {item.variant_id: (item.quantity, item.unit_price) for item in copy.items.all()}
    prices = dict(ProductVariant.objects.filter(pk__in=lines).values_list("pk", "price"))
    if lines != {v: (q, prices[v]) for v, (q, _p) in active_lines(world).items()}:
        problems.append(f"the copy holds {lines}, the cart {active_lines(world)}")
    if [row["pk"] for row in before["cart items"]] != [
        row["pk"] for row in cart_item_rows() if row["cart_id"] != copy.pk
    ]:
        problems.append("the active cart's lines changed")
    return problems + cart_totals_problems(world)


@_note_change
def send_page_save(world: World, data: Any) -> Any:
    name, description, extra, duplicate = data
    form: dict[str, Any] = as_form(extra)
    form["name"] = [str(name)] + ([str(duplicate)] if duplicate is not None else [])
    if description is not None:
        form["description"] = str(description)
    return page(world).post("/cart/saved/new/", form)


@_note_change
def send_api_save(world: World, data: Any) -> Any:
    name, description, extra, duplicate = data
    body = {**extra, "name": name, **({"description": description} if description is not None else {})}
    return api(world).post(
        "/api/v1/saved-carts/",
        raw_json(body, {"name": duplicate} if duplicate is not None else None),
        content_type="application/json",
    )


# --- restore --------------------------------------------------------------------------------------


def target_strategy(world: World) -> st.SearchStrategy:
    return st.tuples(TARGETS, injected())


def check_restore(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    target, _extra = data
    problems = role_problems(world) + changed_beyond(world, before, {"carts", "cart items"})
    if target != "mine":
        return [*problems, f"restoring the {target} saved cart changed rows"]
    items_before, saved_before, _carts = response.rows_before
    if saved_rows() != saved_before:
        problems.append("the saved carts changed")
    copy = {
        row["variant_id"]: row["quantity"] for row in CartItem.objects.filter(cart=world.a.saved_cart.cart_id).values()
    }
    held = {
        row["variant_id"]: row["quantity"]
        for row in items_before
        if row["cart__customer_id"] == world.a.user.pk
        and row["deleted_at"] is None
        and row["cart_id"] in set(active_carts(user=world.a.user).values_list("pk", flat=True))
    }
    for variant_id, (quantity, price) in active_lines(world).items():
        wanted = min(held.get(variant_id, 0) + copy.get(variant_id, 0), settings.ORDER_MAX_LINE_QUANTITY)
        if quantity != wanted:
            problems.append(f"variant {variant_id}: held {held.get(variant_id, 0)}, restored to {quantity}")
        if variant_id in copy and price != ProductVariant.objects.get(pk=variant_id).price:
            problems.append(f"variant {variant_id} restored at {price}")
    moved = [row for row in cart_item_rows() if row not in items_before]
    if any(row["cart__customer_id"] != world.a.user.pk for row in moved):
        problems.append("another customer's cart changed")
    return problems + cart_totals_problems(world)


@_note_change
def send_page_restore(world: World, data: Any) -> Any:
    target, extra = data
    return page(world).post(f"/cart/saved/{saved_id(world, target)}/restore/", as_form(extra))


@_note_change
def send_api_restore(world: World, data: Any) -> Any:
    target, extra = data
    return api(world).post(f"/api/v1/saved-carts/{saved_id(world, target)}/restore/", extra, format="json")


# --- delete ---------------------------------------------------------------------------------------


def check_delete(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    target, _extra = data
    problems = role_problems(world) + changed_beyond(world, before, set())
    items_before, saved_before, carts_before = response.rows_before
    mine = world.a.saved_cart
    if target != "mine" or [row["pk"] for row in saved_before if row not in saved_rows()] != [mine.pk]:
        problems.append(
            f"deleting the {target} saved cart removed {[r['pk'] for r in saved_before if r not in saved_rows()]}"
        )
    if len(saved_rows()) != len(saved_before) - 1:
        problems.append("more than one saved cart went")
    moved = [row for row in cart_rows() if row not in carts_before]
    if [row["pk"] for row in moved] != [mine.cart_id] or moved[0]["deleted_at"] is None:
        problems.append(f"carts {[row['pk'] for row in moved]} changed, not the copy alone")
    if cart_item_rows() != items_before:
        problems.append("cart lines changed")
    return problems


@_note_change
def send_page_delete(world: World, data: Any) -> Any:
    target, extra = data
    return page(world).post(f"/cart/saved/{saved_id(world, target)}/delete/", as_form(extra))


@_note_change
def send_api_delete(world: World, data: Any) -> Any:
    target, _extra = data
    return api(world).delete(f"/api/v1/saved-carts/{saved_id(world, target)}/")


# --- empty the cart -------------------------------------------------------------------------------


def clear_strategy(world: World) -> st.SearchStrategy:
    return st.tuples(
        injected(),
        st.dictionaries(
            st.sampled_from(["cart_id", "guest", "guest_id"]), st.sampled_from([world.b.user.pk, 1, "x"]), max_size=2
        ),
    )


def check_clear(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    problems = role_problems(world) + changed_beyond(world, before, {"carts", "cart items"})
    items_before, saved_before, _carts = response.rows_before
    cart = active_carts(user=world.a.user).get()
    moved = [row for row in cart_item_rows() if row not in items_before]
    if not moved or any(row["cart_id"] != cart.pk or row["deleted_at"] is None for row in moved):
        problems.append(f"lines {[row['pk'] for row in moved]} changed, not the active cart's taken out")
    if CartItem.objects.filter(cart=cart).exists() or cart.total_amount != 0:
        problems.append("the cart is not empty")
    if not CartSnapshot.objects.filter(cart=cart, snapshot_type=SnapshotType.BEFORE_CLEARING).exists():
        problems.append("no snapshot before clearing")
    if saved_rows() != saved_before:
        problems.append("the saved carts changed")
    return problems + cart_totals_problems(world)


@_note_change
def send_clear(world: World, data: Any) -> Any:
    extra, owners = data
    return page(world).post("/cart/clear/", as_form({**extra, **owners}))


DOORS: list[Door] = [
    Door(
        "POST /cart/saved/new/ (form)",
        "carts:saved_create",
        save_strategy,
        send_page_save,
        check_save,
        rows_changed,
        control=lambda w: ("Party", "For May", {}, None),
    ),
    Door(
        "POST /api/v1/saved-carts/",
        "saved_carts_api:saved-cart-list",
        save_strategy,
        send_api_save,
        check_save,
        rows_changed,
        control=lambda w: ("Party", "For May", {}, None),
    ),
    Door(
        "POST /cart/saved/{id}/restore/",
        "carts:saved_restore",
        target_strategy,
        send_page_restore,
        check_restore,
        rows_changed,
        examples=FEW_EXAMPLES,
        control=lambda w: ("mine", {}),
    ),
    Door(
        "POST /api/v1/saved-carts/{id}/restore/",
        "saved_carts_api:saved-cart-restore",
        target_strategy,
        send_api_restore,
        check_restore,
        rows_changed,
        examples=FEW_EXAMPLES,
        control=lambda w: ("mine", {}),
    ),
    Door(
        "POST /cart/saved/{id}/delete/",
        "carts:saved_delete",
        target_strategy,
        send_page_delete,
        check_delete,
        rows_changed,
        examples=FEW_EXAMPLES,
        control=lambda w: ("mine", {}),
    ),
    Door(
        "DELETE /api/v1/saved-carts/{id}/",
        "saved_carts_api:saved-cart-detail",
        target_strategy,
        send_api_delete,
        check_delete,
        rows_changed,
        examples=FEW_EXAMPLES,
        control=lambda w: ("mine", {}),
    ),
    Door(
        "POST /cart/clear/",
        "carts:clear",
        clear_strategy,
        send_clear,
        check_clear,
        rows_changed,
        examples=FEW_EXAMPLES,
        control=lambda w: ({}, {}),
    ),
]


@pytest.mark.parametrize("door_name", [door.name for door in DOORS])
def test_tampering(door_name, scorecard_row):
    attack(next(door for door in DOORS if door.name == door_name), scorecard_row)
