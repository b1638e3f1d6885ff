"""Row 5: parameter tampering on every write endpoint and form (OWASP WSTG-BUSL, API3 mass
assignment, ASVS 5.0 V2 business logic).

Hypothesis sends each write door negative, zero, fractional and huge quantities and amounts,
duplicated parameters, and injected price / total / status / owner / is_staff / balance fields.
For every request:

- accepted: no forbidden field took effect (owner, role, price, status, balance are the
  server's), and totals equal the server's own computation from the catalogue and the coupon;
- rejected: not one row changed.

Every example runs in a transaction that is rolled back, so examples do not see each other.

`test_every_write_route_has_a_door` holds the doors to the URL resolver: every route whose view
answers POST, PUT, PATCH or DELETE (row 4's `methods_of`) has a door here, or a reasoned entry in
COVERED_ELSEWHERE, so a new write route cannot ship untampered.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import quote

import jwt
import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_encode
from django.views.generic.edit import ProcessFormView
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import Address, PrivacyLevel, Seller, SellerStatus, Theme, TimeFormat, User, UserPreferences
from accounts.models import UserSession as SignIn
from accounts.services import address_create, user_api_sign_in, user_api_token_refresh
from carts.models import Cart, CartItem
from catalog.models import ProductVariant
from inventory.models import InventoryItem
from orders.models import Order
from payments.models import Payment, Refund, Wallet, WalletEntry
from promotions.models import Coupon, DiscountType, IssuedCoupon
from scorecard.invariants import all_violations
from tests.factories.accounts import DEFAULT_PASSWORD

from .routes import all_routes, write_methods_of
from .world import World, build_world

pytestmark = [pytest.mark.scorecard(row=5), pytest.mark.django_db]

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


# --- what must not change -----------------------------------------------------------------------


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
    }


def cart_item_rows() -> list[dict[str, Any]]:
    return list(
        CartItem.all_objects.order_by("pk").values(
            "pk", "cart_id", "cart__customer_id", "variant_id", "quantity", "unit_price", "deleted_at"
        )
    )


def changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [key for key in before if before[key] != after[key]]


def changed_beyond(world: World, before: dict[str, Any], allowed: set[str]) -> list[str]:
    """An accepted request changed something it has no business changing."""
    moved = [key for key in changed(before, snapshot(world)) if key not in allowed]
    return [f"{', '.join(moved)} changed"] if moved else []


# --- the doors ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    accepted: bool
    problems: list[str]


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

    @property
    def method(self) -> str:
        return self.name.split()[0].lower()


def api(world: World, who: str = "a") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {getattr(world, who).token}")
    return client


def _extras(world: World) -> dict[str, Any]:
    """What a test adds to its world for the doors (signed-in session keys, tokens)."""
    return world.__dict__.setdefault("_tampering", {})


def sign_in_pages(world: World) -> None:
    """Sign customer A and seller A in once, before the examples: a sign-in inside an example
    would write the very sign-in rows the rejection check compares."""
    keys = _extras(world).setdefault("page sessions", {})
    rows = _extras(world).setdefault("page sign-ins", {})
    for user in (world.a.user, world.seller_a.user):
        client = Client()
        client.force_login(user)
        keys[user.pk] = client.cookies[settings.SESSION_COOKIE_NAME].value
        rows[user.pk] = SignIn.objects.get(session_key=keys[user.pk]).pk


def page(world: World, user: User | None = None) -> Client:
    """A browser signed in as `user` (customer A by default) with the session made beforehand."""
    user = user or world.a.user
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = _extras(world)["page sessions"][user.pk]
    return client


def page_sign_in(world: World, user: User | None = None) -> SignIn:
    """The sign-in row of that browser (by id: a password change gives the session a new key)."""
    return SignIn.objects.get(pk=_extras(world)["page sign-ins"][(user or world.a.user).pk])


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


def _role_problems(world: World) -> list[str]:
    problems = []
    for user in User.objects.filter(pk__in=[world.a.user.pk, world.b.user.pk]):
        if user.is_staff or user.is_superuser or not user.is_active:
            problems.append(f"user {user.pk} became staff/superuser/inactive")
    if User.objects.filter(pk=world.a.user.pk).values_list("email", flat=True).get() != world.a.user.email:
        problems.append("the email changed through a form that does not own it")
    return problems


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
    return order_expected_problems(world, order, before) + _role_problems(world)


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


def charge_strategy() -> st.SearchStrategy:
    return st.tuples(AMOUNTS, injected(), st.one_of(st.none(), st.fixed_dictionaries({"amount": AMOUNTS})))


def charge_problems(world: World, sent_amount: Any, before: dict[str, Any]) -> list[str]:
    problems = _role_problems(world)
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


def profile_strategy() -> st.SearchStrategy:
    names = st.one_of(st.text(max_size=20), st.sampled_from(["", "x" * 200, "<script>alert(1)</script>"]))
    return st.tuples(names, injected())


def send_api_me(world: World, data: Any) -> Any:
    name, extra = data
    return api(world).patch("/api/v1/me/", {"first_name": name, **extra}, format="json")


def check_roles(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    problems = _role_problems(world)
    keys = ("orders", "wallets", "ledger", "stock", "coupons", "issued", "prices", "passwords", "sign-ins", "sellers")
    after = snapshot(world)
    for key in keys:
        if after[key] != before[key]:
            problems.append(f"{key} changed through a profile or address form")
    return problems


def address_strategy() -> st.SearchStrategy:
    plain = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789-.", min_size=2, max_size=30).filter(
        str.strip
    )
    text = st.one_of(plain, plain, plain, st.text(min_size=1, max_size=30), st.sampled_from(["", " ", "x" * 300]))
    body = st.fixed_dictionaries(
        {
            "address_type": st.sampled_from(["shipping", "shipping", "billing", "bogus"]),
            "recipient_name": text,
            "street_address": text,
            "city": text,
            "postal_code": text,
            "country": text,
        }
    )
    owner_fields = st.dictionaries(
        st.sampled_from(["user", "user_id", "owner", "id", "is_primary", "deleted_at"]),
        st.sampled_from([1, 0, -1, True, "x"]),
        max_size=3,
    )
    return st.tuples(body, owner_fields, injected())


def send_api_address_create(world: World, data: Any) -> Any:
    body, owner, extra = data
    return api(world).post("/api/v1/me/addresses/", {**body, **owner, **extra}, format="json")


def send_api_address_update(world: World, data: Any) -> Any:
    body, owner, extra = data
    return api(world).patch(f"/api/v1/me/addresses/{world.a.address.pk}/", {**body, **owner, **extra}, format="json")


def send_page_address_create(world: World, data: Any) -> Any:
    body, owner, extra = data
    return page(world).post("/accounts/addresses/add/", {**body, **{k: str(v) for k, v in {**owner, **extra}.items()}})


def check_addresses(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    problems = check_roles(world, data, response, before)
    known = {a["id"]: a for a in before["addresses"]}
    for address in Address.objects.all():
        if address.pk not in known and address.user_id != world.a.user.pk:
            problems.append(f"a new address was given to user {address.user_id}")
        if address.pk in known and address.user_id != known[address.pk]["user_id"]:
            problems.append(f"address {address.pk} changed owner")
        if (
            address.pk in known
            and known[address.pk]["user_id"] != world.a.user.pk
            and _row(address) != known[address.pk]
        ):
            problems.append(f"another user's address {address.pk} changed")
    return problems


def _row(address: Address) -> dict[str, Any]:
    return Address.objects.filter(pk=address.pk).values().get()


def send_register(world: World, data: Any) -> Any:
    _name, extra = data
    body = {
        "email": f"new-{uuid.uuid4().hex[:8]}@example.com",
        "password": "a-long-enough-passphrase-1",
        "first_name": "New",
        "last_name": "Shopper",
        **{k: v for k, v in extra.items() if k != "email"},
    }
    return APIClient().post("/api/v1/auth/register/", body, format="json", REMOTE_ADDR=fresh_address())


def check_register(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    problems = []
    for user in User.objects.exclude(pk__in=[u["pk"] for u in before["users"]]).filter(first_name="New"):
        if user.is_staff or user.is_superuser or not user.is_active:
            problems.append(f"a registration made user {user.pk} staff/superuser/inactive")
    return problems


def send_cancel(world: World, data: Any) -> Any:
    _name, extra = data
    return api(world).post(
        f"/api/v1/orders/{world.a.order.pk}/cancel/", {"reason": "changed my mind", **extra}, format="json"
    )


def check_cancel(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    problems = _role_problems(world)
    order = Order.objects.get(pk=world.a.order.pk)
    balance_before = {w["user_id"]: w["balance"] for w in before["wallets"]}[world.a.user.pk]
    refunded = Wallet.objects.get(user=world.a.user).balance - balance_before
    if order.status_id != "cancelled":
        problems.append(f"cancel accepted, status {order.status_id}")
    if refunded != order.total_amount:
        problems.append(f"cancel refunded {refunded} of an order of {order.total_amount}")
    return problems


def send_claim(world: World, data: Any) -> Any:
    _name, extra = data
    return api(world).post(f"/api/v1/coupons/{world.spare_coupon.pk}/claim/", extra, format="json")


def check_claim(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    problems = _role_problems(world)
    held = IssuedCoupon.objects.filter(coupon=world.spare_coupon)
    if list(held.values_list("user_id", flat=True)) != [world.a.user.pk]:
        problems.append(f"the claim issued coupons to {list(held.values_list('user_id', flat=True))}")
    left = Coupon.objects.get(pk=world.spare_coupon.pk).quantity
    if left != world.spare_coupon.initial_quantity - 1:
        problems.append(f"{left} left after one claim")
    return problems


def send_preferences(world: World, data: Any) -> Any:
    _name, extra = data
    return api(world).patch("/api/v1/me/preferences/", {"theme": "dark", **extra}, format="json")


def check_preferences(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    problems = check_roles(world, data, response, before)
    owners = set(UserPreferences.objects.values_list("user_id", flat=True))
    if owners - {p["user_id"] for p in before["preferences"]} - {world.a.user.pk}:
        problems.append("preferences created for another user")
    return problems


def send_page_profile(world: World, data: Any) -> Any:
    name, extra = data
    return page(world).post("/accounts/profile/", {**{k: str(v) for k, v in extra.items()}, "first_name": name})


def send_page_signup(world: World, data: Any) -> Any:
    _name, extra = data
    password = "a-long-enough-passphrase-1"
    form = {
        **{k: str(v) for k, v in extra.items()},
        "email": f"new-{uuid.uuid4().hex[:8]}@example.com",
        "first_name": "New",
        "last_name": "Shopper",
        "password1": password,
        "password2": password,
    }
    return Client().post("/accounts/signup/", form)


def send_page_cancel(world: World, data: Any) -> Any:
    _name, extra = data
    return page(world).post(
        f"/orders/{world.a.order.pk}/cancel/", {**{k: str(v) for k, v in extra.items()}, "reason": "changed my mind"}
    )


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
    problems = _role_problems(world)
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


# --- page forms of the account ---------------------------------------------------------------


def owner_fields(world: World, names: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Fields naming another owner or object: customer B, nobody, nonsense."""
    return st.dictionaries(st.sampled_from(names), st.sampled_from([world.b.user.pk, 0, -1, True, "x"]), max_size=3)


def checkbox(data: dict[str, Any], name: str) -> bool:
    """What Django's CheckboxInput reads from a form: absent is False, "false" is False, else truthy."""
    if name not in data:
        return False
    value = data[name]
    return {"true": True, "false": False}.get(value.lower(), bool(value)) if isinstance(value, str) else bool(value)


PREFERENCE_CHOICES = {"theme": Theme.values, "time_format": TimeFormat.values, "privacy_level": PrivacyLevel.values}
PREFERENCE_TEXT = ("language", "currency", "date_format")
PREFERENCE_FLAGS = ("email_notifications", "push_notifications", "marketing_emails", "personalization_enabled")


def preferences_form_strategy(world: World) -> st.SearchStrategy:
    flag = st.sampled_from(["on", "true", "false", "0", "", "off"])
    body = st.fixed_dictionaries(
        {
            "language": st.sampled_from(["en-US", "de-DE", "", " fr-FR ", "x" * 17, "<script>"]),
            "currency": st.sampled_from(["USD", "EUR", "", "DOLLARS", "us"]),
            "theme": st.sampled_from([*Theme.values, "", "neon"]),
            "date_format": st.sampled_from(["YYYY-MM-DD", "DD/MM/YYYY", "", "x" * 17]),
            "time_format": st.sampled_from([*TimeFormat.values, "", "25h"]),
            "privacy_level": st.sampled_from([*PrivacyLevel.values, "everyone", ""]),
        },
        optional=dict.fromkeys(PREFERENCE_FLAGS, flag),
    )
    return st.tuples(body, owner_fields(world, ["user", "user_id", "id", "guest"]), injected())


def send_page_preferences(world: World, data: Any) -> Any:
    body, owner, extra = data
    return page(world).post("/accounts/preferences/", as_form({**owner, **extra, **body}))


def check_page_preferences(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    body, _owner, _extra = data
    problems = check_roles(world, data, response, before) + changed_beyond(world, before, {"preferences"})
    mine = UserPreferences.objects.filter(user=world.a.user).values().first()
    if mine is None:
        return [*problems, "accepted, but customer A has no preferences"]
    for name, choices in PREFERENCE_CHOICES.items():
        if mine[name] not in choices or mine[name] != body[name]:
            problems.append(f"{name} stored {mine[name]!r} from {body[name]!r}")
    for name in PREFERENCE_TEXT:
        if mine[name] != body[name].strip():
            problems.append(f"{name} stored {mine[name]!r} from {body[name]!r}")
    for name in PREFERENCE_FLAGS:
        if mine[name] != checkbox(body, name):
            problems.append(f"{name} stored {mine[name]} from {body.get(name)!r}")
    others = [row for row in before["preferences"] if row["user_id"] != world.a.user.pk]
    if others != list(UserPreferences.objects.exclude(user=world.a.user).order_by("pk").values()):
        problems.append("another user's (or a guest's) preferences changed")
    return problems


# --- address edits (page, API PUT) --------------------------------------------------------------

ADDRESS_TEXT = ("recipient_name", "street_address", "city", "postal_code", "country")


def address_edit_strategy(world: World) -> st.SearchStrategy:
    return st.tuples(address_strategy(), st.sampled_from(["a", "a", "a", "b", "missing"]))


def address_id(world: World, target: Any) -> int:
    return {"a": world.a.address.pk, "b": world.b.address.pk, "missing": 10**9}.get(target, target)


def send_page_address_edit(world: World, data: Any) -> Any:
    (body, owner, extra), target = data
    return page(world).post(
        f"/accounts/addresses/{address_id(world, target)}/edit/", as_form({**owner, **extra, **body})
    )


def send_api_address_put(world: World, data: Any) -> Any:
    (body, owner, extra), target = data
    return api(world).put(
        f"/api/v1/me/addresses/{address_id(world, target)}/", {**owner, **extra, **body}, format="json"
    )


def check_address_edit(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    (body, _owner, _extra), target = data
    problems = check_addresses(world, data, response, before) + changed_beyond(world, before, {"addresses"})
    if target != "a":
        return [*problems, f"an edit of the {target} address was accepted"]
    known = {row["id"]: row for row in before["addresses"]}
    row = Address.objects.filter(pk=world.a.address.pk).values().get()
    if row["address_type"] != body["address_type"]:
        problems.append(f"address_type stored {row['address_type']!r} from {body['address_type']!r}")
    problems += [
        f"{name} stored {row[name]!r} from {body[name]!r}" for name in ADDRESS_TEXT if row[name] != body[name].strip()
    ]
    if row["is_primary"] != known[row["id"]]["is_primary"] or row["user_id"] != world.a.user.pk:
        problems.append("an edit changed which address is primary, or its owner")
    return problems


# --- coupon claim (page) ------------------------------------------------------------------------


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
    problems = _role_problems(world) + changed_beyond(world, before, {"coupons", "issued"})
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


# --- seller application (page) ------------------------------------------------------------------

SELLER_TEXT = ("business_name", "contact_person_name", "contact_person_phone")


def seller_apply_strategy(world: World) -> st.SearchStrategy:
    names = st.sampled_from(["Acme Goods", " Padded Ltd ", "", "x" * 201, "<b>Shop</b>"])
    business = st.fixed_dictionaries(
        {
            "business_name": names,
            "business_registration_number": st.sampled_from(["fresh", "fresh", "taken", "", "x" * 65, " fresh "]),
            "contact_person_name": names,
            "contact_person_phone": st.sampled_from(["", "+1 555 0100", "x" * 40]),
        }
    )
    account = st.fixed_dictionaries(
        {
            "email": st.sampled_from(["fresh", "fresh", world.a.user.email, "not-an-email", ""]),
            "first_name": st.sampled_from(["New", ""]),
            "last_name": st.sampled_from(["Seller", ""]),
            "password1": st.sampled_from([STRONG_PASSWORD, STRONG_PASSWORD, "short", "1234567890123"]),
            "password2": st.sampled_from(["same", "same", "different"]),
        }
    )
    seller = st.dictionaries(
        st.sampled_from(["status", "user", "user_id", "seller", "deleted_at", "is_staff"]),
        st.sampled_from([SellerStatus.ACTIVE, world.b.user.pk, True, "2000-01-01"]),
        max_size=3,
    )
    return st.tuples(st.sampled_from(["a", "a", "visitor", "visitor", "seller"]), business, account, seller, injected())


def seller_apply_form(world: World, data: Any) -> dict[str, Any]:
    _who, business, account, seller, extra = data
    values = {**extra, **seller, **account, **business}
    tag = uuid.uuid4().hex[:10]
    number = business["business_registration_number"]
    values["business_registration_number"] = {"taken": _seller_number(world)}.get(
        number, number.replace("fresh", f"BRN-{tag}")
    )
    values["email"] = f"seller-{tag}@example.com" if account["email"] == "fresh" else account["email"]
    values["password2"] = account["password1"] + ("" if account["password2"] == "same" else "x")
    return values


def _seller_number(world: World) -> str:
    return Seller.objects.get(user=world.seller_a.user).business_registration_number


def send_seller_apply(world: World, data: Any) -> Any:
    who = data[0]
    client = {"a": lambda: page(world), "seller": lambda: page(world, world.seller_a.user)}.get(who, Client)()
    values = seller_apply_form(world, data)
    _extras(world)["last seller form"] = values
    return client.post("/accounts/seller/apply/", as_form(values))


def check_seller_apply(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    who = data[0]
    values = _extras(world)["last seller form"]
    # A visitor's application also makes the account: a user with default preferences, signed in.
    made = {"user count", "passwords", "last sign-ins", "preferences", "sign-ins"}
    allowed = {"sellers"} | (made if who == "visitor" else set())
    problems = _role_problems(world) + changed_beyond(world, before, allowed)
    known = {row["id"] for row in before["sellers"]}
    if list(Seller.objects.filter(pk__in=known).order_by("pk").values()) != before["sellers"]:
        problems.append("an existing seller changed")
    new = list(Seller.objects.exclude(pk__in=known).select_related("user"))
    if who == "seller":
        return [*problems, f"a seller applied again: {len(new)} new"] if new else problems
    if len(new) != 1:
        return [*problems, f"{len(new)} sellers made by one application"]
    seller = new[0]
    if seller.status != SellerStatus.UNDER_REVIEW:
        problems.append(f"a new seller starts {seller.status}")
    for name in (*SELLER_TEXT, "business_registration_number"):
        if getattr(seller, name) != values[name].strip():
            problems.append(f"{name} stored {getattr(seller, name)!r} from {values[name]!r}")
    if who == "a" and seller.user_id != world.a.user.pk:
        problems.append(f"customer A's application made user {seller.user_id} a seller")
    if who == "visitor":
        user = seller.user
        known_users = {row[0] for row in before["passwords"]}
        if user.pk in known_users or user.email != values["email"].lower():
            problems.append(f"a visitor's application went to user {user.pk} ({user.email})")
        if user.is_staff or user.is_superuser or not user.is_active:
            problems.append("a visitor's application made a staff/superuser/inactive user")
        for row in SignIn.objects.exclude(pk__in=[r["pk"] for r in before["sign-ins"]]):
            if row.user_id != user.pk:
                problems.append(f"a sign-in was made for user {row.user_id}")
        if list(UserPreferences.objects.exclude(user=user).order_by("pk").values()) != before["preferences"]:
            problems.append("existing preferences changed")
    return problems


# --- passwords: change, reset request, reset confirm -----------------------------------------

STRONG_PASSWORD = "a-long-enough-passphrase-1"
NEW_PASSWORDS = st.sampled_from([STRONG_PASSWORD, "another-fine-passphrase-7", "short", "1234567890123", "", " " * 12])


def password_change_strategy(world: World) -> st.SearchStrategy:
    return st.tuples(
        st.sampled_from([DEFAULT_PASSWORD, DEFAULT_PASSWORD, "not-the-password", ""]),
        NEW_PASSWORDS,
        st.sampled_from(["same", "same", "different"]),
        owner_fields(world, ["user", "user_id", "id", "uid"]),
        injected(),
    )


def send_password_change(world: World, data: Any) -> Any:
    old, new, again, owner, extra = data
    values = {**owner, **extra, "old_password": old, "new_password1": new}
    values["new_password2"] = new if again == "same" else f"{new}x"
    return page(world).post("/accounts/password/", as_form(values))


def password_problems(world: World, before: dict[str, Any], owner: User | None, new: str) -> list[str]:
    """Only `owner`'s password changed, and to `new`."""
    problems = []
    old = dict(before["passwords"])
    for user in User.objects.all():
        if owner is not None and user.pk == owner.pk:
            if not user.check_password(new):
                problems.append("the password was not set to the new one")
        elif user.password != old.get(user.pk, user.password):
            problems.append(f"user {user.pk}'s password changed")
    return problems


def sign_ins_ended(world: World, before: dict[str, Any], user: User, keep: set[int]) -> list[str]:
    """`user`'s sign-ins ended (all but `keep`), nobody else's touched."""
    problems = []
    was = {row["pk"]: row for row in before["sign-ins"]}
    for row in SignIn.objects.filter(pk__in=was):
        if row.user_id == user.pk and row.pk not in keep:
            if row.is_active:
                problems.append(f"sign-in {row.pk} of the user stayed active")
        elif row.is_active != was[row.pk]["is_active"] or (
            row.user_id != user.pk and row.refresh_jti != was[row.pk]["refresh_jti"]
        ):
            problems.append(f"sign-in {row.pk} (user {row.user_id}) changed")
    return problems


def check_password_change(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    _old, new, _again, _owner, _extra = data
    problems = _role_problems(world) + changed_beyond(world, before, {"passwords", "sign-ins", "tokens"})
    problems += password_problems(world, before, world.a.user, new)
    current = page_sign_in(world).pk
    problems += sign_ins_ended(world, before, world.a.user, keep={current})
    if not SignIn.objects.filter(pk=current, is_active=True).exists():
        problems.append("the browser that changed the password was signed out")
    return problems


def reset_request_strategy(world: World) -> st.SearchStrategy:
    a, b = world.a.user.email, world.b.user.email
    emails = st.sampled_from(
        [a, a, a.upper(), b, "nobody@example.com", "", "not-an-email", f"{a}\nBcc: mallory@example.com"]
    )
    overrides = st.dictionaries(
        st.sampled_from(
            ["domain_override", "from_email", "extra_email_context", "html_email_template_name", "use_https"]
        ),
        st.sampled_from(["evil.example", "mallory@example.com", "true"]),
        max_size=3,
    )
    return st.tuples(
        emails, st.one_of(st.none(), emails), st.sampled_from(["testserver", "evil.example"]), overrides, injected()
    )


def send_reset_request(world: World, data: Any) -> Any:
    email, duplicate, host, overrides, extra = data
    _extras(world)["outbox before"] = len(mail.outbox)
    values = {**overrides, **extra, "email": [email] + ([duplicate] if duplicate is not None else [])}
    return Client().post("/accounts/password-reset/", as_form(values), HTTP_HOST=host)


def check_reset_request(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    email, duplicate, host, _overrides, _extra = data
    asked = duplicate if duplicate is not None else email  # a form field reads the last value
    problems = changed_beyond(world, before, set())
    sent = mail.outbox[_extras(world)["outbox before"] :]
    owners = list(User.objects.filter(email__iexact=asked.strip(), is_active=True).values_list("email", flat=True))
    if len(sent) > len(owners):
        problems.append(f"{len(sent)} reset e-mails for {asked!r}")
    for message in sent:
        if message.to != owners[:1]:
            problems.append(f"a reset e-mail for {asked!r} went to {message.to}")
        if message.from_email != settings.DEFAULT_FROM_EMAIL:
            problems.append(f"a reset e-mail came from {message.from_email}")
        links = {match.split("/")[2] for match in _links(message.body)}
        if links - set(settings.ALLOWED_HOSTS) or "evil.example" in message.body:
            problems.append(f"a reset e-mail links to {sorted(links)} (asked with Host: {host})")
    return problems


def _links(text: str) -> list[str]:
    return re.findall(r"https?://[^\s\"'<>]+", text)


RESET_LINKS = ["a", "a", "a", "b uid, a token", "a uid, b token", "a uid, bad token", "garbage"]


def reset_confirm_strategy(world: World) -> st.SearchStrategy:
    return st.tuples(
        st.sampled_from(RESET_LINKS),
        NEW_PASSWORDS,
        st.sampled_from(["same", "same", "different"]),
        owner_fields(world, ["user", "user_id", "uidb64", "email"]),
        injected(),
    )


def _reset_parts(user: User) -> tuple[str, str]:
    fresh = User.objects.get(pk=user.pk)  # the token hashes the password and the last sign-in
    return urlsafe_base64_encode(force_bytes(fresh.pk)), default_token_generator.make_token(fresh)


def send_reset_confirm(world: World, data: Any) -> Any:
    link, new, again, owner, extra = data
    a_uid, a_token = _reset_parts(world.a.user)
    b_uid, b_token = _reset_parts(world.b.user)
    uid, token = {
        "a": (a_uid, a_token),
        "b uid, a token": (b_uid, a_token),
        "a uid, b token": (a_uid, b_token),
        "a uid, bad token": (a_uid, "abc-0123456789abcdef"),
        "garbage": ("Zm9v", "x-y"),
    }[link]
    client = Client()
    opened = client.get(f"/accounts/password-reset/{uid}/{token}/")
    # A good link moves the token into the session and sends the browser to …/set-password/; a
    # tampered one gets the invalid-link page, and the form is posted there anyway.
    target = opened["Location"] if opened.status_code == 302 else f"/accounts/password-reset/{uid}/set-password/"
    values = {**owner, **extra, "new_password1": new, "new_password2": new if again == "same" else f"{new}x"}
    return client.post(target, as_form(values))


def check_reset_confirm(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    link, new, _again, _owner, _extra = data
    problems = _role_problems(world) + changed_beyond(world, before, {"passwords", "sign-ins", "tokens"})
    if link != "a":
        return [*problems, f"a reset through a tampered link ({link}) was accepted"]
    problems += password_problems(world, before, world.a.user, new)
    return problems + sign_ins_ended(world, before, world.a.user, keep=set())


# --- writes without a body: addresses, sign-ins --------------------------------------------------


def add_second_address(world: World) -> None:
    address_create(
        user=world.a.user,
        data={
            "recipient_name": "Customer 1",
            "street_address": "2 Side Street",
            "city": "Springfield",
            "postal_code": "12345",
            "country": "United States",
        },
    )


def address_target_strategy(world: World) -> st.SearchStrategy:
    """Customer A's addresses (the primary and another), customer B's, and ids that name nothing."""
    own = list(Address.objects.filter(user=world.a.user).order_by("pk").values_list("pk", flat=True))
    targets = st.sampled_from([*own, *own, world.b.address.pk, 10**9, 0])
    return st.tuples(targets, owner_fields(world, ["user", "user_id", "is_primary", "id", "deleted_at"]), injected())


def send_page_address_delete(world: World, data: Any) -> Any:
    target, owner, extra = data
    return page(world).post(f"/accounts/addresses/{target}/delete/", as_form({**owner, **extra}))


def send_api_address_delete(world: World, data: Any) -> Any:
    target, owner, extra = data
    return api(world).delete(f"/api/v1/me/addresses/{target}/", {**owner, **extra}, format="json")


def send_page_make_primary(world: World, data: Any) -> Any:
    target, owner, extra = data
    return page(world).post(f"/accounts/addresses/{target}/make-primary/", as_form({**owner, **extra}))


def send_api_make_primary(world: World, data: Any) -> Any:
    target, owner, extra = data
    return api(world).post(f"/api/v1/me/addresses/{target}/make-primary/", {**owner, **extra}, format="json")


def _address_fields(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("is_primary", "updated_at")}


def check_address_delete(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    target = data[0]
    problems = _role_problems(world) + changed_beyond(world, before, {"addresses"})
    was = {row["id"]: row for row in before["addresses"]}
    now = {row["id"]: row for row in Address.objects.values()}
    if was.get(target, {}).get("user_id") != world.a.user.pk:
        return [*problems, f"deleting address {target}, not customer A's, was accepted"]
    if set(was) - set(now) != {target} or set(now) - set(was):
        problems.append(f"asked to delete {target}, deleted {sorted(set(was) - set(now))}")
    for pk, row in now.items():
        if _address_fields(row) != _address_fields(was[pk]) or (row["user_id"] != world.a.user.pk and row != was[pk]):
            problems.append(f"address {pk} changed")
    mine = [row for row in now.values() if row["user_id"] == world.a.user.pk]
    if mine and sum(row["is_primary"] for row in mine) != 1:
        problems.append(f"customer A has {sum(row['is_primary'] for row in mine)} primary addresses")
    return problems


def check_make_primary(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    target = data[0]
    problems = _role_problems(world) + changed_beyond(world, before, {"addresses"})
    was = {row["id"]: row for row in before["addresses"]}
    if was.get(target, {}).get("user_id") != world.a.user.pk:
        return [*problems, f"making address {target}, not customer A's, primary was accepted"]
    for row in Address.objects.values():
        if row["user_id"] == world.a.user.pk:
            if row["is_primary"] != (row["id"] == target):
                problems.append(f"address {row['id']} primary={row['is_primary']} after making {target} primary")
            if _address_fields(row) != _address_fields(was[row["id"]]):
                problems.append(f"address {row['id']}'s fields changed")
        elif row != was.get(row["id"]):
            problems.append(f"another user's address {row['id']} changed")
    return problems


def sign_in_target_strategy(world: World) -> st.SearchStrategy:
    """Customer A's sign-ins (the app, this browser), customer B's, and an id that names nothing."""
    targets = st.sampled_from(["a app", "a app", "a browser", "b app", "missing"])
    return st.tuples(
        targets, owner_fields(world, ["user", "user_id", "session_key", "refresh_jti", "is_active"]), injected()
    )


def sign_in_id(world: World, target: str) -> int:
    if target == "a browser":
        return page_sign_in(world).pk
    return {"a app": world.a.api_session.pk, "b app": world.b.api_session.pk}.get(target, 10**9)


def send_page_session_end(world: World, data: Any) -> Any:
    target, owner, extra = data
    return page(world).post(f"/accounts/sessions/{sign_in_id(world, target)}/end/", as_form({**owner, **extra}))


def send_api_session_end(world: World, data: Any) -> Any:
    target, owner, extra = data
    return api(world).delete(f"/api/v1/me/sessions/{sign_in_id(world, target)}/", {**owner, **extra}, format="json")


def check_session_end(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    target = data[0]
    problems = _role_problems(world) + changed_beyond(world, before, {"sign-ins", "tokens"})
    if not target.startswith("a "):
        return [*problems, f"ending the {target} sign-in was accepted"]
    ended = sign_in_id(world, target)
    was = {row["pk"]: row for row in before["sign-ins"]}
    for row in SignIn.objects.all():
        if row.pk == ended:
            if row.is_active:
                problems.append("the sign-in asked to end is still active")
            if row.refresh_jti and not BlacklistedToken.objects.filter(token__jti=row.refresh_jti).exists():
                problems.append("the ended app sign-in's refresh token still works")
        elif row.is_active != was.get(row.pk, {}).get("is_active", row.is_active):
            problems.append(f"sign-in {row.pk} (user {row.user_id}) changed too")
    blacklisted = set(BlacklistedToken.objects.values_list("token__jti", flat=True)) - set(before["tokens"][1])
    if blacklisted - {SignIn.objects.get(pk=ended).refresh_jti}:
        problems.append("refresh tokens of other sign-ins were blacklisted")
    return problems


# --- API tokens: sign-in, refresh, sign-out; the page sign-out ---------------------------------


def token_strategy(world: World) -> st.SearchStrategy:
    a, b = world.a.user.email, world.b.user.email
    emails = st.sampled_from([a, a, a.upper(), b, "nobody@example.com", "", "not-an-email"])
    passwords = st.sampled_from([DEFAULT_PASSWORD, DEFAULT_PASSWORD, "not-the-password", ""])
    duplicate = st.one_of(
        st.none(), st.fixed_dictionaries({"email": emails}), st.fixed_dictionaries({"password": passwords})
    )
    return st.tuples(
        emails, passwords, owner_fields(world, ["user_id", "id", "jti", "token_type", "exp"]), injected(), duplicate
    )


def send_token(world: World, data: Any) -> Any:
    email, password, owner, extra, duplicate = data
    body = {**owner, **extra, "email": email, "password": password}
    return APIClient().post(
        "/api/v1/auth/token/", raw_json(body, duplicate), content_type="application/json", REMOTE_ADDR=fresh_address()
    )


def check_token(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    email, password, owner, extra, duplicate = data
    sent = parsed(raw_json({**owner, **extra, "email": email, "password": password}, duplicate))
    problems = _role_problems(world) + changed_beyond(world, before, {"sign-ins", "tokens", "last sign-ins"})
    holder = User.objects.filter(email__iexact=str(sent["email"])).first()
    if holder is None or not holder.check_password(str(sent["password"])):
        return [*problems, f"tokens for {sent['email']!r} with a wrong password"]
    claims = jwt.decode(response.json()["access"], options={"verify_signature": False})
    if claims.get("user_id") not in (holder.pk, str(holder.pk)) or set(claims) & {"is_staff", "is_superuser", "owner"}:
        problems.append(f"the access token says {claims}, the sign-in was user {holder.pk}")
    new = list(SignIn.objects.exclude(pk__in=[r["pk"] for r in before["sign-ins"]]).values_list("user_id", "kind"))
    if new != [(holder.pk, "api")]:
        problems.append(f"the sign-in recorded {new}")
    return problems


REFRESH_KINDS = ["a", "a", "b", "a rotated", "a access", "a forged for b", "alg none", "garbage", ""]


def mint_refresh_tokens(world: World) -> None:
    a = user_api_sign_in(user=world.a.user, user_agent="probe", ip_address="198.51.100.8")
    rotated = user_api_sign_in(user=world.a.user, user_agent="probe", ip_address="198.51.100.9").refresh
    user_api_token_refresh(refresh=rotated)  # now blacklisted
    b = user_api_sign_in(user=world.b.user, user_agent="probe", ip_address="198.51.100.10")
    header, payload, signature = a.refresh.split(".")
    claims = jwt.decode(a.refresh, options={"verify_signature": False})
    _extras(world)["refresh"] = {
        "a": a.refresh,
        "b": b.refresh,
        "a rotated": rotated,
        "a access": a.access,
        "a forged for b": f"{header}.{_b64({**claims, 'user_id': world.b.user.pk})}.{signature}",
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "garbage": "not.a.token",
        "": "",
    }


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def refresh_strategy(world: World) -> st.SearchStrategy:
    kinds = st.sampled_from(REFRESH_KINDS)
    return st.tuples(
        kinds,
        owner_fields(world, ["user_id", "access", "jti"]),
        injected(),
        st.one_of(st.none(), st.fixed_dictionaries({"refresh": kinds})),
    )


def refresh_body(world: World, data: Any) -> tuple[str, str]:
    """(JSON text, the kind of refresh token the server reads: the last one sent)."""
    kind, owner, extra, duplicate = data
    tokens = _extras(world)["refresh"]
    text = raw_json(
        {**owner, **extra, "refresh": tokens[kind]}, {"refresh": tokens[duplicate["refresh"]]} if duplicate else None
    )
    return text, duplicate["refresh"] if duplicate else kind


def send_refresh(world: World, data: Any) -> Any:
    return APIClient().post(
        "/api/v1/auth/token/refresh/", refresh_body(world, data)[0], content_type="application/json"
    )


def send_api_logout(world: World, data: Any) -> Any:
    return APIClient().post("/api/v1/auth/logout/", refresh_body(world, data)[0], content_type="application/json")


def _sent_refresh(world: World, data: Any) -> tuple[str, dict[str, Any]]:
    """The kind of refresh token the server read, and its claims (unverified) when it is a real one."""
    kind = refresh_body(world, data)[1]
    if kind not in ("a", "b"):
        return kind, {}
    return kind, jwt.decode(_extras(world)["refresh"][kind], options={"verify_signature": False})


def check_refresh(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    kind, claims = _sent_refresh(world, data)
    problems = _role_problems(world) + changed_beyond(world, before, {"sign-ins", "tokens"})
    if kind not in ("a", "b"):
        return [*problems, f"a refresh with the {kind!r} token was accepted"]
    owner = world.a.user if kind == "a" else world.b.user
    fresh = {
        key: jwt.decode(response.json()[key], options={"verify_signature": False}) for key in ("access", "refresh")
    }
    issued_to = {str(fresh["access"]["user_id"]), str(fresh["refresh"]["user_id"])}
    if issued_to != {str(claims["user_id"])} or str(claims["user_id"]) != str(owner.pk):
        problems.append(f"refreshing user {owner.pk}'s token gave tokens for {fresh['access']['user_id']}")
    if not BlacklistedToken.objects.filter(token__jti=claims["jti"]).exists():
        problems.append("the refresh token sent still works after the rotation")
    was = {row["pk"]: row for row in before["sign-ins"]}
    for row in SignIn.objects.all():
        if was.get(row.pk, {}).get("refresh_jti") == claims["jti"]:
            if row.refresh_jti != fresh["refresh"]["jti"] or not row.is_active:
                problems.append("the sign-in did not follow the rotated token")
        elif (row.refresh_jti, row.is_active) != (
            was.get(row.pk, {}).get("refresh_jti"),
            was.get(row.pk, {}).get("is_active"),
        ):
            problems.append(f"sign-in {row.pk} (user {row.user_id}) changed too")
    return problems


def check_api_logout(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    kind, claims = _sent_refresh(world, data)
    problems = _role_problems(world) + changed_beyond(world, before, {"sign-ins", "tokens"})
    if kind not in ("a", "b"):
        return [*problems, f"a sign-out with the {kind!r} token was accepted"]
    blacklisted = set(BlacklistedToken.objects.values_list("token__jti", flat=True)) - set(before["tokens"][1])
    if blacklisted != {claims["jti"]}:
        problems.append(f"the sign-out blacklisted {len(blacklisted)} tokens, not the one sent")
    was = {row["pk"]: row for row in before["sign-ins"]}
    for row in SignIn.objects.all():
        old = was.get(row.pk, {})
        ends = old.get("refresh_jti") == claims["jti"]
        if row.is_active != (False if ends else old.get("is_active")) or row.refresh_jti != old.get("refresh_jti"):
            problems.append(f"sign-in {row.pk} (user {row.user_id}) {'stayed' if ends else 'ended or changed'}")
    return problems


NEXT = [None, "/products/", "https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]


def sign_out_strategy(world: World) -> st.SearchStrategy:
    return st.tuples(st.sampled_from(["a", "a", "visitor"]), st.sampled_from(NEXT), st.booleans(), injected())


def send_page_sign_out(world: World, data: Any) -> Any:
    who, next_url, in_query, extra = data
    client = page(world) if who == "a" else Client()
    values = {**extra, **({"next": next_url} if next_url is not None and not in_query else {})}
    query = f"?next={quote(next_url)}" if next_url is not None and in_query else ""
    return client.post(f"/accounts/signout/{query}", as_form(values))


def check_page_sign_out(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    who = data[0]
    problems = _role_problems(world) + changed_beyond(world, before, {"sign-ins"})
    location = response.get("Location", "")
    if location and not url_has_allowed_host_and_scheme(location, allowed_hosts={"testserver"}):
        problems.append(f"signing out redirects off the site, to {location}")
    was = {row["pk"]: row for row in before["sign-ins"]}
    this = page_sign_in(world).pk
    for row in SignIn.objects.all():
        if who == "a" and row.pk == this:
            if row.is_active:
                problems.append("the browser's sign-in stayed active after signing out")
        elif row.is_active != was.get(row.pk, {}).get("is_active", row.is_active):
            problems.append(f"signing out ended another sign-in ({row.pk}, user {row.user_id})")
    return problems


# --- the cart ---------------------------------------------------------------------------------------
# Every cart form answers with a redirect and a message, taken or not; what the shop did shows in
# the cart's rows, so `send` notes whether they moved and `is_accepted` reads that note. Refused:
# the generic check then holds every row still. Taken: the checks below hold the change to exactly
# what was asked, on customer A's own cart, at the catalogue's price.


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
    problems = _role_problems(world) + changed_beyond(world, before, {"carts", "cart items"})
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
    problems = _role_problems(world) + changed_beyond(world, before, {"carts", "cart items"})
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
    problems = _role_problems(world) + changed_beyond(world, before, {"carts", "cart items"})
    _old, moved = moved_cart_lines(before)
    if [row["pk"] for row in moved] != [world.a.cart_item.pk] or target != "mine" or moved[0]["deleted_at"] is None:
        problems.append(f"changed lines {[row['pk'] for row in moved]} removing the {target} item")
    return problems + cart_totals_problems(world)


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
    problems = order_expected_problems(world, order, before) + _role_problems(world)
    in_cart = sorted(
        (row["variant_id"], row["quantity"])
        for row in before["cart items"]
        if row["cart__customer_id"] == world.a.user.pk and row["deleted_at"] is None
    )
    ordered = sorted(order.items.values_list("variant_id", "quantity"))
    if ordered != in_cart:
        problems.append(f"ordered {ordered}, the cart held {in_cart}")
    if Cart.objects.filter(customer=world.a.user, status="active").exists():
        problems.append("the cart is still open after its checkout")
    return problems


def redirected(response: Any) -> bool:
    return response.status_code == 302


def ok_or_redirected(response: Any) -> bool:
    return response.status_code in (200, 302)


def _const(strategy: Callable[[], st.SearchStrategy]) -> Callable[[World], st.SearchStrategy]:
    return lambda world: strategy()


# --- every door ------------------------------------------------------------------------------------
# (name, URL name, method, ...): `test_every_write_route_has_a_door` matches them to the resolver.

DOORS: list[Door] = [
    Door("POST /api/v1/orders/", "orders_api:order-list", order_body, send_api_order, check_order),
    Door(
        "POST /orders/place/ (form)",
        "orders:place",
        order_body,
        send_page_order,
        check_order,
        page_order_accepted,
    ),
    Door(
        "POST /orders/checkout/ (form, the cart)",
        "orders:checkout",
        cart_checkout_strategy,
        send_cart_checkout,
        check_cart_checkout,
        page_order_accepted,
    ),
    Door("POST /cart/add/ (form)", "carts:add", cart_add_strategy, send_cart_add, check_cart_add, cart_changed),
    Door(
        "POST /cart/items/{id}/ (form)",
        "carts:item_update",
        cart_item_strategy,
        send_cart_update,
        check_cart_update,
        cart_changed,
    ),
    Door(
        "POST /cart/items/{id}/remove/",
        "carts:item_remove",
        cart_remove_strategy,
        send_cart_remove,
        check_cart_remove,
        cart_changed,
        examples=FEW_EXAMPLES,
    ),
    Door(
        "POST /api/v1/wallet/charge/",
        "payments_api:wallet_charge",
        _const(charge_strategy),
        send_api_charge,
        check_api_charge,
    ),
    Door(
        "POST /wallet/ (form)",
        "payments:wallet",
        _const(charge_strategy),
        send_page_charge,
        check_page_charge,
        page_charge_accepted,
    ),
    Door("PATCH /api/v1/me/", "accounts_api:me", _const(profile_strategy), send_api_me, check_roles),
    Door(
        "POST /api/v1/me/addresses/",
        "accounts_api:addresses",
        _const(address_strategy),
        send_api_address_create,
        check_addresses,
    ),
    Door(
        "PATCH /api/v1/me/addresses/{id}/",
        "accounts_api:address",
        _const(address_strategy),
        send_api_address_update,
        check_addresses,
    ),
    Door(
        "PUT /api/v1/me/addresses/{id}/",
        "accounts_api:address",
        address_edit_strategy,
        send_api_address_put,
        check_address_edit,
    ),
    Door(
        "POST /accounts/addresses/add/ (form)",
        "accounts:address_add",
        _const(address_strategy),
        send_page_address_create,
        check_addresses,
        redirected,
    ),
    Door(
        "POST /accounts/addresses/{id}/edit/ (form)",
        "accounts:address_edit",
        address_edit_strategy,
        send_page_address_edit,
        check_address_edit,
        redirected,
    ),
    Door(
        "PATCH /api/v1/me/preferences/",
        "accounts_api:preferences",
        _const(profile_strategy),
        send_preferences,
        check_preferences,
    ),
    Door(
        "POST /accounts/preferences/ (form)",
        "accounts:preferences",
        preferences_form_strategy,
        send_page_preferences,
        check_page_preferences,
        redirected,
    ),
    Door(
        "POST /api/v1/auth/register/",
        "accounts_api:register",
        _const(profile_strategy),
        send_register,
        check_register,
    ),
    Door(
        "POST /api/v1/orders/{id}/cancel/",
        "orders_api:order-cancel",
        _const(profile_strategy),
        send_cancel,
        check_cancel,
    ),
    Door(
        "POST /api/v1/coupons/{id}/claim/",
        "promotions_api:coupon_claim",
        _const(profile_strategy),
        send_claim,
        check_claim,
    ),
    Door(
        "POST /coupons/{id}/claim/ (form)",
        "promotions:coupon_claim",
        coupon_claim_strategy,
        send_page_claim,
        check_page_claim,
        redirected,
        examples=FEW_EXAMPLES,
    ),
    Door(
        "POST /accounts/profile/ (form)",
        "accounts:profile",
        _const(profile_strategy),
        send_page_profile,
        check_roles,
        redirected,
    ),
    Door(
        "POST /accounts/signup/ (form)",
        "accounts:signup",
        _const(profile_strategy),
        send_page_signup,
        check_register,
        redirected,
    ),
    Door(
        "POST /accounts/seller/apply/ (form)",
        "accounts:seller_apply",
        seller_apply_strategy,
        send_seller_apply,
        check_seller_apply,
        redirected,
    ),
    Door(
        "POST /accounts/password/ (form)",
        "accounts:password_change",
        password_change_strategy,
        send_password_change,
        check_password_change,
        redirected,
    ),
    Door(
        "POST /accounts/password-reset/ (form)",
        "accounts:password_reset",
        reset_request_strategy,
        send_reset_request,
        check_reset_request,
        redirected,
    ),
    Door(
        "POST /accounts/password-reset/{uid}/{token}/ (form)",
        "accounts:password_reset_confirm",
        reset_confirm_strategy,
        send_reset_confirm,
        check_reset_confirm,
        redirected,
    ),
    Door(
        "POST /orders/{id}/cancel/ (form)",
        "orders:cancel",
        _const(profile_strategy),
        send_page_cancel,
        check_cancel,
        redirected,
    ),
    Door(
        "POST /seller/variants/{id}/restock/ (form)",
        "inventory:seller_restock",
        _const(restock_strategy),
        send_restock,
        check_restock,
        redirected,
    ),
    # Writes without a body: the id in the path and whatever fields are slipped in.
    Door(
        "POST /accounts/addresses/{id}/delete/",
        "accounts:address_delete",
        address_target_strategy,
        send_page_address_delete,
        check_address_delete,
        redirected,
        add_second_address,
        FEW_EXAMPLES,
    ),
    Door(
        "DELETE /api/v1/me/addresses/{id}/",
        "accounts_api:address",
        address_target_strategy,
        send_api_address_delete,
        check_address_delete,
        prepare=add_second_address,
        examples=FEW_EXAMPLES,
    ),
    Door(
        "POST /accounts/addresses/{id}/make-primary/",
        "accounts:address_make_primary",
        address_target_strategy,
        send_page_make_primary,
        check_make_primary,
        redirected,
        add_second_address,
        FEW_EXAMPLES,
    ),
    Door(
        "POST /api/v1/me/addresses/{id}/make-primary/",
        "accounts_api:address_make_primary",
        address_target_strategy,
        send_api_make_primary,
        check_make_primary,
        prepare=add_second_address,
        examples=FEW_EXAMPLES,
    ),
    Door(
        "POST /accounts/sessions/{id}/end/",
        "accounts:session_end",
        sign_in_target_strategy,
        send_page_session_end,
        check_session_end,
        redirected,
        examples=FEW_EXAMPLES,
    ),
    Door(
        "DELETE /api/v1/me/sessions/{id}/",
        "accounts_api:session",
        sign_in_target_strategy,
        send_api_session_end,
        check_session_end,
        examples=FEW_EXAMPLES,
    ),
    Door("POST /api/v1/auth/token/", "accounts_api:token", token_strategy, send_token, check_token),
    Door(
        "POST /api/v1/auth/token/refresh/",
        "accounts_api:token_refresh",
        refresh_strategy,
        send_refresh,
        check_refresh,
        prepare=mint_refresh_tokens,
        examples=FEW_EXAMPLES,
    ),
    Door(
        "POST /api/v1/auth/logout/",
        "accounts_api:logout",
        refresh_strategy,
        send_api_logout,
        check_api_logout,
        prepare=mint_refresh_tokens,
        examples=FEW_EXAMPLES,
    ),
    Door(
        "POST /accounts/signout/",
        "accounts:logout",
        sign_out_strategy,
        send_page_sign_out,
        check_page_sign_out,
        ok_or_redirected,
        examples=FEW_EXAMPLES,
    ),
]

# Write routes without a door here, each with where it is covered instead.
COVERED_ELSEWHERE: dict[str, str] = {
    "accounts:login": (
        "row 13: the sign-in form writes only the session and the lockout counters (key cycled on sign-in, 50 "
        "wrong passwords lock out, a spoofed X-Forwarded-For does not reset it, the same answer for unknown emails)"
    ),
}
# Function views that row 4 assumes answer POST, but refuse it (checked here: a POST is a 405).
GET_ONLY: dict[str, str] = {
    "healthz": "@require_GET liveness probe",
    "readyz": "@require_GET readiness probe",
}
ADMIN_REASON = (
    "Django admin's own ModelForms and actions, staff only (row 4 probes each admin route as a visitor, "
    "customers and sellers); not parameter-tampered here"
)


def _put_is_post(route: Any) -> bool:
    """A form view's PUT is Django's ProcessFormView.put, which runs post() on request.POST, which
    Django fills only for POST: a PUT is the POST door's empty form."""
    view_class = getattr(route.callback, "view_class", None)
    return view_class is not None and getattr(view_class, "put", None) is ProcessFormView.put


def test_every_write_route_has_a_door(client, scorecard_row):
    doors = {(door.route, door.method) for door in DOORS}
    writes: set[tuple[str, str]] = set()
    missing, unnamed = [], []
    counts: Counter[str] = Counter()
    for route in all_routes():
        methods = write_methods_of(route)
        if route.is_admin:
            counts["admin"] += bool(methods)
            continue
        if not methods:
            continue
        if route.name is None:
            unnamed.append(route.route)
            continue
        for method in methods:
            writes.add((route.name, method))
            if (route.name, method) in doors:
                counts["door"] += 1
            elif (
                method == "put"
                and _put_is_post(route)
                and (route.name, "post") in doors | {(name, "post") for name in COVERED_ELSEWHERE}
            ):
                counts["PUT as POST"] += 1
            elif route.name in COVERED_ELSEWHERE:
                counts["elsewhere"] += 1
            elif route.name in GET_ONLY:
                status = client.generic(method.upper(), reverse(route.name)).status_code
                counts["GET only"] += 1
                if status != 405:
                    missing.append(f"{method.upper()} {route.name} (listed as GET only, answered {status})")
            else:
                missing.append(f"{method.upper()} {route.name}")
    stale = sorted({f"{m.upper()} {n}" for n, m in doors - writes}) + sorted(
        (set(COVERED_ELSEWHERE) | set(GET_ONLY)) - {name for name, _ in writes}
    )
    passed = scorecard_row(
        "every write route from the URL resolver has a tampering door",
        f"{len(writes)} non-admin write route+methods: {counts['door']} with a door, {counts['PUT as POST']} form "
        f"PUTs (= the POST door), {counts['elsewhere']} covered elsewhere, {counts['GET only']} GET only; "
        f"{counts['admin']} admin routes ({ADMIN_REASON}); {len(missing)} without a door"
        + (f": {missing}" if missing else "")
        + (f"; unnamed: {unnamed}" if unnamed else "")
        + (f"; stale: {stale}" if stale else ""),
        not missing and not unnamed and not stale,
    )
    assert passed, (missing, unnamed, stale)


@pytest.mark.parametrize("door_name", [door.name for door in DOORS])
def test_tampering(door_name, scorecard_row):
    world = build_world()
    door = next(d for d in DOORS if d.name == door_name)
    sign_in_pages(world)
    if door.prepare is not None:
        door.prepare(world)
    strategy = door.strategy(world)
    tally: Counter[str] = Counter()
    violations: list[str] = []

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
    passed = scorecard_row(
        door_name,
        f"{tally['requests']} tampered requests, {tally['accepted']} accepted, {tally['rejected']} rejected, "
        f"{len(violations)} violations" + (": " + "; ".join(violations[:3]) if violations else ""),
        not violations and tally["requests"] > 0,
    )
    assert passed, violations[:10]
