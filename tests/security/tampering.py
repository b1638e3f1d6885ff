"""Row 5's machinery: parameter tampering on every write endpoint and form (OWASP WSTG-BUSL, API3
mass assignment, ASVS 5.0 V2 business logic). The doors themselves are in the test files named for
what they attack (test_money_and_stock_tampering.py, test_cart_tampering.py,
test_account_tampering.py, test_sign_in_and_password_tampering.py), and
test_every_write_route_is_tampered.py holds them to the URL resolver.

Hypothesis sends each write door negative, zero, fractional and huge quantities and amounts,
duplicated parameters, and injected price / total / status / owner / is_staff / balance fields.
For every request:

- accepted: no forbidden field took effect (owner, role, price, status, balance are the
  server's), and totals equal the server's own computation from the catalogue and the coupon;
- rejected: not one row changed.

A door that refused everything would pass both, so a door's untampered request (`control`) is
sent first and must be accepted, and pass the same checks.

Every example runs in a transaction that is rolled back, so examples do not see each other.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import Address, Seller, User, UserPreferences
from accounts.models import UserSession as SignIn
from carts.models import Cart, CartItem
from catalog.models import ProductVariant
from inventory.models import InventoryItem
from orders.models import Order, OrderCancellation, OrderIssue, OrderReturnItem
from payments.models import Payment, PaymentMethod, Refund, Wallet, WalletEntry
from promotions.models import Coupon, IssuedCoupon
from scorecard.invariants import all_violations

from .world import World, build_world

CENT = Decimal("0.01")


EXAMPLES = 40  # per door; doors without a body have a small input space and take fewer


FEW_EXAMPLES = 20


# Fields a client must never be able to set.
FORBIDDEN: dict[str, Any] = {
    "price": "0.01",
    "unit_price": "0.01",
    "total": "0.00",
    "total_amount": "0.01",
    "subtotal": "0.01",
    "discount_amount": "999.00",
    "shipping_cost": "-50.00",
    "status": "delivered",
    "status_id": "refunded",
    "paid_at": "2000-01-01T00:00:00Z",
    "order_number": "OM-2000-00001",
    "customer": 1,
    "customer_id": 1,
    "user": 1,
    "user_id": 1,
    "owner": 1,
    "is_staff": True,
    "is_superuser": True,
    "is_active": False,
    "balance": "1000000.00",
    "amount": "1000000.00",
    "refund_amount": "9999.00",
    "quantity_left": 1000,
    "email": "mallory@example.com",
}


QUANTITIES = st.one_of(
    st.integers(1, 4),
    st.sampled_from([0, -1, -100, 100, 10**9, 10**30, 2**63]),
    st.sampled_from([1.5, 0.5, -0.0, 1e308, "1", "2.5", "1e3", "", " ", "NaN", "Infinity", None, True, [], {}]),
)


AMOUNTS = st.one_of(
    st.sampled_from(["25.00", "0.01", "10000.00", "5"]),
    st.sampled_from(["0", "-5.00", "0.001", "1.005", "10000.01", "1e40", "1E-2", "NaN", "Infinity", "-0", "", " "]),
    st.sampled_from([0, -1, 10**20, 1.1, 0.1, True, None, [], {}]),
    st.decimals(min_value=-1000, max_value=20000, allow_nan=False, places=3).map(str),
)


def injected() -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(sorted(FORBIDDEN)), st.just(None), max_size=4).map(
        lambda keys: {key: FORBIDDEN[key] for key in keys}
    )


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def snapshot(world: World) -> dict[str, Any]:
    users = [world.a.user.pk, world.b.user.pk, world.staff.pk]
    return {
        "users": list(
            User.objects.filter(pk__in=users)
            .order_by("pk")
            .values("pk", "email", "is_staff", "is_superuser", "is_active")
        ),
        "user count": User.objects.count(),
        "passwords": list(User.objects.order_by("pk").values_list("pk", "password")),
        "last sign-ins": list(User.objects.order_by("pk").values_list("pk", "last_login")),
        # Not `last_active_at`: every signed-in request may touch it (accounts.middleware).
        "sign-ins": list(
            SignIn.objects.order_by("pk").values("pk", "user_id", "kind", "session_key", "refresh_jti", "is_active")
        ),
        "tokens": [
            OutstandingToken.objects.count(),
            sorted(BlacklistedToken.objects.values_list("token__jti", flat=True)),
        ],
        "sellers": list(Seller.objects.order_by("pk").values()),
        "addresses": list(Address.objects.order_by("pk").values()),
        "preferences": list(UserPreferences.objects.order_by("pk").values()),
        "orders": list(Order.objects.order_by("pk").values("pk", "status_id", "total_amount", "customer_id")),
        "wallets": list(Wallet.objects.order_by("pk").values("user_id", "balance")),
        "ledger": WalletEntry.objects.count(),
        "payments": list(Payment.objects.order_by("pk").values("pk", "status", "refunded_amount")),
        "refunds": Refund.objects.count(),
        "stock": list(InventoryItem.objects.order_by("pk").values("pk", "quantity")),
        "coupons": list(Coupon.objects.order_by("pk").values("pk", "quantity")),
        "issued": list(IssuedCoupon.objects.order_by("pk").values("pk", "user_id", "used_at")),
        "prices": list(ProductVariant.objects.order_by("pk").values("pk", "price")),
        "carts": list(Cart.all_objects.order_by("pk").values("pk", "customer_id", "status", "total_amount")),
        "cart items": cart_item_rows(),
        "returns": list(OrderReturnItem.objects.order_by("pk").values("pk", "order_item_id", "quantity")),
        "issues": list(
            OrderIssue.objects.order_by("pk").values(
                "pk",
                "order_id",
                "customer_id",
                "status",
                "related_seller_id",
                "assigned_to_id",
                "seller_response",
                "compensation_amount",
                "customer_satisfaction",
            )
        ),
        "cancellations": list(OrderCancellation.objects.order_by("pk").values("pk", "status", "refund_amount")),
        "payment methods": list(
            PaymentMethod.objects.order_by("pk").values(
                "pk", "user_id", "token", "brand", "last4", "exp_month", "exp_year", "is_default", "status"
            )
        ),
    }


def cart_item_rows() -> list[dict[str, Any]]:
    return list(
        CartItem.all_objects.order_by("pk").values(
            "pk", "cart_id", "cart__customer_id", "cart__status", "variant_id", "quantity", "unit_price", "deleted_at"
        )
    )


def changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [key for key in before if before[key] != after[key]]


def changed_beyond(world: World, before: dict[str, Any], allowed: set[str]) -> list[str]:
    """An accepted request changed something it has no business changing."""
    moved = [key for key in changed(before, snapshot(world)) if key not in allowed]
    return [f"{', '.join(moved)} changed"] if moved else []


@dataclass
class Door:
    name: str  # "METHOD /path/ …": the method is the first word
    route: str  # the URL name it sends to, as the resolver knows it
    strategy: Callable[[World], st.SearchStrategy]
    send: Callable[[World, Any], Any]
    # Given an accepted request: what went wrong (forbidden effects, wrong totals).
    check_accepted: Callable[[World, Any, Any, dict[str, Any]], list[str]]
    is_accepted: Callable[[Any], bool] = lambda response: 200 <= response.status_code < 300
    # More of the world the door needs (a second address, refresh tokens), made before the examples.
    prepare: Callable[[World], None] | None = None
    examples: int = EXAMPLES
    # The same door's untampered request (the data `send` takes), which must be accepted.
    control: Callable[[World], Any] | None = None

    @property
    def method(self) -> str:
        return self.name.split()[0].lower()


def api(world: World, who: str = "a") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {getattr(world, who).token}")
    return client


def world_extras(world: World) -> dict[str, Any]:
    """What a test adds to its world for the doors (signed-in session keys, tokens)."""
    return world.__dict__.setdefault("_tampering", {})


def sign_in_pages(world: World) -> None:
    """Sign customer A and seller A in once, before the examples: a sign-in inside an example
    would write the very sign-in rows the rejection check compares."""
    keys = world_extras(world).setdefault("page sessions", {})
    rows = world_extras(world).setdefault("page sign-ins", {})
    for user in (world.a.user, world.seller_a.user):
        client = Client()
        client.force_login(user)
        keys[user.pk] = client.cookies[settings.SESSION_COOKIE_NAME].value
        rows[user.pk] = SignIn.objects.get(session_key=keys[user.pk]).pk


def page(world: World, user: User | None = None) -> Client:
    """A browser signed in as `user` (customer A by default) with the session made beforehand."""
    user = user or world.a.user
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = world_extras(world)["page sessions"][user.pk]
    return client


def page_sign_in(world: World, user: User | None = None) -> SignIn:
    """The sign-in row of that browser (by id: a password change gives the session a new key)."""
    return SignIn.objects.get(pk=world_extras(world)["page sign-ins"][(user or world.a.user).pk])


def as_form(values: dict[str, Any]) -> dict[str, Any]:
    """Form fields as a browser sends them: text (a list is a repeated parameter)."""
    return {key: value if isinstance(value, list) else str(value) for key, value in values.items()}


_CLIENT_ADDRESSES = itertools.count(1)


def fresh_address() -> str:
    """A client address of its own for each request: the sign-in and registration throttles count
    per address (in the cache, which a rolled-back example does not undo)."""
    n = next(_CLIENT_ADDRESSES)
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def raw_json(body: dict[str, Any], duplicate: dict[str, Any] | None) -> str:
    """JSON text, optionally with keys repeated (the parser keeps the last)."""
    text = json.dumps(body, default=str)
    if duplicate:
        extra = json.dumps(duplicate, default=str)[1:-1]
        text = text[:-1] + (", " if len(text) > 2 else "") + extra + "}"
    return text


def parsed(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


def role_problems(world: World) -> list[str]:
    problems = []
    for user in User.objects.filter(pk__in=[world.a.user.pk, world.b.user.pk]):
        if user.is_staff or user.is_superuser or not user.is_active:
            problems.append(f"user {user.pk} became staff/superuser/inactive")
    if User.objects.filter(pk=world.a.user.pk).values_list("email", flat=True).get() != world.a.user.email:
        problems.append("the email changed through a form that does not own it")
    return problems


def profile_strategy() -> st.SearchStrategy:
    names = st.one_of(st.text(max_size=20), st.sampled_from(["", "x" * 200, "<script>alert(1)</script>"]))
    return st.tuples(names, injected())


def owner_fields(world: World, names: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Fields naming another owner or object: customer B, nobody, nonsense."""
    return st.dictionaries(st.sampled_from(names), st.sampled_from([world.b.user.pk, 0, -1, True, "x"]), max_size=3)


STRONG_PASSWORD = "a-long-enough-passphrase-1"


def redirected(response: Any) -> bool:
    return response.status_code == 302


def ok_or_redirected(response: Any) -> bool:
    return response.status_code in (200, 302)


def ignoring_world(strategy: Callable[[], st.SearchStrategy]) -> Callable[[World], st.SearchStrategy]:
    return lambda world: strategy()


def control_problems(world: World, door: Door) -> list[str]:
    """The untampered request must be taken, and taken as the server computes it: without this a
    door that refuses every request would pass (a refusal only has to change nothing)."""
    assert door.control is not None
    data = door.control(world)
    with transaction.atomic():
        before = snapshot(world)
        response = door.send(world, data)
        if door.is_accepted(response):
            problems = [f"untampered: {p}"[:400] for p in door.check_accepted(world, data, response, before)]
            problems += [f"untampered: invariant: {p}" for p in all_violations()]
        else:
            problems = [f"the untampered request was refused ({response.status_code}; sent {data!r})"[:400]]
        transaction.set_rollback(True)
    return problems


def attack(door: Door, scorecard_row: Callable[[str, str, bool], bool]) -> None:
    """Send the door its untampered request, then hypothesis's tampered ones; report the row's figure."""
    world = build_world()
    sign_in_pages(world)
    if door.prepare is not None:
        door.prepare(world)
    control = control_problems(world, door) if door.control is not None else None
    strategy = door.strategy(world)
    tally: Counter[str] = Counter()
    violations: list[str] = list(control or [])

    @hypothesis_settings(
        max_examples=door.examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(data=strategy)
    def attempt(data: Any) -> None:
        with transaction.atomic():
            before = snapshot(world)
            response = door.send(world, data)
            tally["requests"] += 1
            if response.status_code >= 500:
                violations.append(f"{response.status_code} for {data!r}"[:300])
            elif door.is_accepted(response):
                tally["accepted"] += 1
                violations.extend(
                    f"{p} (sent {data!r})"[:400] for p in door.check_accepted(world, data, response, before)
                )
                violations.extend(f"invariant: {p}" for p in all_violations())
            else:
                tally["rejected"] += 1
                moved = changed(before, snapshot(world))
                if moved:
                    violations.append(f"rejected ({response.status_code}) but changed {moved} (sent {data!r})"[:400])
            transaction.set_rollback(True)

    attempt()
    untampered = {None: "", True: "the untampered request taken; "}.get(
        None if control is None else not control, "the untampered request NOT taken as it should be; "
    )
    passed = scorecard_row(
        door.name,
        f"{untampered}{tally['requests']} tampered requests, {tally['accepted']} accepted, "
        f"{tally['rejected']} rejected, {len(violations)} violations"
        + (": " + "; ".join(violations[:3]) if violations else ""),
        not violations and tally["requests"] > 0,
    )
    assert passed, violations[:10]
