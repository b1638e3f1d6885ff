"""Row 4: the authorization matrix (OWASP API1 BOLA, API5 BFLA; ASVS 5.0 V8).

Every route of the URL resolver has a policy in POLICY (or is an admin route: staff only); a
route missing from it fails the test, so a new route cannot ship unprobed. Every route, with
every method its view answers, is called as:

- a visitor (anonymous): anything not public is refused (401, or a redirect to sign in);
- customer B and seller B: customer A's and seller A's objects are a 404, and nothing of A's
  shows up in any answer;
- customer A calling staff functions (the admin): refused.

Customer A's and seller A's data are compared before and after every probe: 0 rows changed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Address, UserSession
from carts.models import Cart, CartItem, SavedCart, Wishlist, WishlistItem
from common.models import Notification
from inventory.models import InventoryItem
from orders.models import Order, OrderCancellation, OrderIssue, OrderReturn, OrderTracking
from payments.models import PaymentMethod, Wallet
from promotions.models import IssuedCoupon

from .routes import Route, all_routes, methods_of, owned_kwargs, public_kwargs
from .world import World, access_token, build_world

pytestmark = [pytest.mark.scorecard(row=4), pytest.mark.django_db]

PUBLIC = "public"  # anyone may call it (catalogue, sign-in doors, health, schema)
SIGNED_IN = "signed-in"  # the signed-in user's own things, without an id in the path
CUSTOMER_OWNED = "customer-owned"  # an id of a customer's object in the path
SELLER_OWNED = "seller-owned"  # an id of a seller's object in the path
SELLER_ONLY = "seller-only"  # seller pages without an id
# An id of a cart owner's object where a visitor is an owner too (a guest, by session): another
# owner's object is a 404 to everyone, the visitor included (carts, issue 15).
OWNER_OWNED = "owner-owned"

ADDRESS = {
    "address_type": "shipping",
    "recipient_name": "Mallory",
    "street_address": "1 Attacker Road",
    "city": "Elsewhere",
    "postal_code": "99999",
    "country": "US",
}


@dataclass(frozen=True)
class Policy:
    kind: str
    body: dict[str, Any] | None = None  # a valid body for writes, so refusals are about authorization


POLICY: dict[str, Policy] = {
    # The admin's own sign-in door is public; every other admin route is staff only.
    "admin:login": Policy(PUBLIC),
    "admin:logout": Policy(PUBLIC),  # ends only the caller's own session
    "home": Policy(PUBLIC),
    "healthz": Policy(PUBLIC),
    "readyz": Policy(PUBLIC),
    "favicon": Policy(PUBLIC),
    "api-schema": Policy(PUBLIC),
    "api-docs": Policy(PUBLIC),
    "accounts:login": Policy(PUBLIC),
    "accounts:logout": Policy(PUBLIC),
    "accounts:signup": Policy(PUBLIC),
    "accounts:seller_apply": Policy(PUBLIC),
    "accounts:password_reset": Policy(PUBLIC),
    "accounts:password_reset_done": Policy(PUBLIC),
    "accounts:password_reset_confirm": Policy(PUBLIC),
    "accounts:password_reset_complete": Policy(PUBLIC),
    "accounts:overview": Policy(SIGNED_IN),
    "accounts:password_change": Policy(SIGNED_IN),
    "accounts:profile": Policy(SIGNED_IN),
    "accounts:preferences": Policy(SIGNED_IN),
    "accounts:addresses": Policy(SIGNED_IN),
    "accounts:address_add": Policy(SIGNED_IN, ADDRESS),
    "accounts:address_edit": Policy(CUSTOMER_OWNED, ADDRESS),
    "accounts:address_delete": Policy(CUSTOMER_OWNED),
    "accounts:address_make_primary": Policy(CUSTOMER_OWNED),
    "accounts:sessions": Policy(SIGNED_IN),
    "accounts:session_end": Policy(CUSTOMER_OWNED),
    "accounts:notifications": Policy(SIGNED_IN),
    "accounts:notifications_read_all": Policy(SIGNED_IN),
    "accounts:notification_read": Policy(CUSTOMER_OWNED),
    "catalog:product_list": Policy(PUBLIC),
    "catalog:product_detail": Policy(PUBLIC),
    "catalog:category_detail": Policy(PUBLIC),
    "inventory:seller_products": Policy(SELLER_ONLY),
    "inventory:seller_product": Policy(SELLER_OWNED),
    "inventory:seller_restock": Policy(SELLER_OWNED, {"quantity": "5", "reason": "probe"}),
    "payments:wallet": Policy(SIGNED_IN, {"amount": "10.00"}),
    "promotions:coupons": Policy(PUBLIC),
    "promotions:coupon_claim": Policy(SIGNED_IN),
    "promotions:my_coupons": Policy(SIGNED_IN),
    "orders:list": Policy(SIGNED_IN),
    "orders:place": Policy(SIGNED_IN),
    "orders:detail": Policy(CUSTOMER_OWNED),
    "orders:cancel": Policy(CUSTOMER_OWNED, {"reason": "probe"}),
    "orders:checkout": Policy(SIGNED_IN, {"idempotency_key": "probe"}),
    # Cancellations and order issues (branch `cancel`)
    "orders:issue_report": Policy(CUSTOMER_OWNED, {"issue_type": "late", "description": "probe"}),
    "orders:issue": Policy(CUSTOMER_OWNED),
    "orders:issue_rate": Policy(CUSTOMER_OWNED, {"customer_satisfaction": "1"}),
    "orders_api:order-issues": Policy(CUSTOMER_OWNED, {"issue_type": "late", "description": "probe"}),
    "orders_api:issue-detail": Policy(CUSTOMER_OWNED, {"customer_satisfaction": 1}),
    "orders_seller:issues": Policy(SELLER_ONLY),
    "orders_seller:issue": Policy(SELLER_OWNED, {"response": "probe"}),
    # Guests have carts too (issue 15): the page and "Add to cart" are anyone's, a line is its owner's.
    "carts:detail": Policy(PUBLIC),
    "carts:add": Policy(PUBLIC),
    "carts:item_update": Policy(OWNER_OWNED, {"quantity": "5"}),
    "carts:item_remove": Policy(OWNER_OWNED),
    # The cart API (issue 15): a visitor reads an empty cart and adds as a guest; checkout needs an account.
    "carts_api:cart": Policy(PUBLIC, {"variant_id": 1, "quantity": 1}),
    "carts_api:cart-item": Policy(OWNER_OWNED, {"quantity": 5}),
    "orders_api:cart-checkout": Policy(SIGNED_IN),
    "carts:recover": Policy(CUSTOMER_OWNED),  # another customer's recovery link: a 404
    "orders_api:order-list": Policy(SIGNED_IN),
    "orders_api:order-detail": Policy(CUSTOMER_OWNED),
    "orders_api:order-cancel": Policy(CUSTOMER_OWNED, {"reason": "probe"}),
    "orders_api:products-popular": Policy(PUBLIC),
    # --- returns (RMA) ---
    "orders:return_create": Policy(CUSTOMER_OWNED, {"reason": "damaged", "destination": "original"}),
    "orders:return_detail": Policy(CUSTOMER_OWNED),
    "orders_api:order-returns": Policy(
        CUSTOMER_OWNED, {"items": [{"order_item_id": 1, "quantity": 1}], "reason": "damaged"}
    ),
    "orders_api:return-detail": Policy(CUSTOMER_OWNED),
    "seller_returns:list": Policy(SELLER_ONLY),
    # --- pricing
    "orders:checkout_address": Policy(SIGNED_IN, {"new-recipient_name": "probe"}),
    "orders_api:checkout-quote": Policy(SIGNED_IN),
    "accounts_api:register": Policy(PUBLIC),
    "accounts_api:token": Policy(PUBLIC),
    "accounts_api:token_refresh": Policy(PUBLIC),
    "accounts_api:logout": Policy(PUBLIC),
    "accounts_api:me": Policy(SIGNED_IN, {"first_name": "Mallory"}),
    "accounts_api:addresses": Policy(SIGNED_IN, ADDRESS),
    "accounts_api:address": Policy(CUSTOMER_OWNED, ADDRESS),
    "accounts_api:address_make_primary": Policy(CUSTOMER_OWNED),
    "accounts_api:preferences": Policy(SIGNED_IN, {"theme": "dark"}),
    "accounts_api:sessions": Policy(SIGNED_IN),
    "accounts_api:session": Policy(CUSTOMER_OWNED),
    "accounts_api:notifications": Policy(SIGNED_IN),
    "accounts_api:notifications_read_all": Policy(SIGNED_IN),
    "accounts_api:notification_read": Policy(CUSTOMER_OWNED),
    "payments_api:wallet": Policy(SIGNED_IN),
    "payments_api:wallet_charge": Policy(SIGNED_IN, {"amount": "10.00"}),
    "payments_api:wallet_entries": Policy(SIGNED_IN),
    # Payments (issue 14): a payment by id is its customer's; the processors' webhooks are public
    # (their HMAC signature is the proof); the sandbox processor's pages stand for a processor's
    # hosted pages (public, like a bank's); its token API serves signed-in mobile clients.
    "payments_api:payment_detail": Policy(CUSTOMER_OWNED),
    "payments_api:webhook": Policy(PUBLIC),
    "payments_api:sandbox_tokens": Policy(SIGNED_IN),
    "sandbox:card": Policy(PUBLIC),
    "sandbox:confirm": Policy(PUBLIC),
    # Refunds: a customer's own list (staff see all; only staff may refund: a customer's POST is a 403);
    # a refund by id is its customer's.
    "payments_api:refunds": Policy(SIGNED_IN, {"payment_id": 1, "amount": "1.00", "reason": "probe"}),
    "payments_api:refund": Policy(CUSTOMER_OWNED),
    "promotions_api:coupons": Policy(SIGNED_IN),
    "promotions_api:coupon_claim": Policy(SIGNED_IN),
    "promotions_api:my_coupons": Policy(SIGNED_IN),
    "catalog_api:product-list": Policy(PUBLIC),
    "catalog_api:product-detail": Policy(PUBLIC),
    "catalog_api:category-tree": Policy(PUBLIC),
    # Fulfilment
    "orders:invoice": Policy(CUSTOMER_OWNED),
    "orders_api:order-shipments": Policy(CUSTOMER_OWNED),
    "orders_seller:order_lines": Policy(SELLER_ONLY),
    "orders_seller:order": Policy(SELLER_OWNED, {"carrier": "1", "tracking_number": "PROBE-1", "items": "1"}),
    "orders_api:seller-orders": Policy(SELLER_ONLY),
    "orders_api:seller-shipments": Policy(SELLER_ONLY, {"order_id": 1, "carrier_id": 1, "tracking_number": "PROBE-1"}),
    # Card payments (issue 14)
    "orders:payment_return": Policy(CUSTOMER_OWNED),
    "orders:pay": Policy(CUSTOMER_OWNED, {"payment_method_id": "1", "idempotency_key": "probe"}),
    "orders_api:order-pay": Policy(CUSTOMER_OWNED, {"payment_method_id": 1}),
    # Saved payment methods
    "payments:methods": Policy(SIGNED_IN),
    "payments:method_new": Policy(SIGNED_IN, {"billing_name": "Mallory", "billing_country": "US"}),
    "payments:method_add": Policy(SIGNED_IN),
    "payments:method_remove": Policy(CUSTOMER_OWNED),
    "payments:method_default": Policy(CUSTOMER_OWNED),
    "payments_api:payment_methods": Policy(SIGNED_IN, {"token": "tok_ok_visa_4242_1299_probe"}),
    "payments_api:payment_method": Policy(CUSTOMER_OWNED),
    "payments_api:payment_method_default": Policy(CUSTOMER_OWNED),
    # Saved carts and "Empty cart" (branch csaved): emptying takes the caller's own cart, a guest's too.
    "carts:clear": Policy(PUBLIC),
    "carts:saved_list": Policy(SIGNED_IN),
    "carts:saved_create": Policy(SIGNED_IN, {"name": "probe"}),
    "carts:saved_detail": Policy(CUSTOMER_OWNED),
    "carts:saved_restore": Policy(CUSTOMER_OWNED),
    "carts:saved_delete": Policy(CUSTOMER_OWNED),
    "saved_carts_api:saved-cart-list": Policy(SIGNED_IN, {"name": "probe"}),
    "saved_carts_api:saved-cart-detail": Policy(CUSTOMER_OWNED),
    "saved_carts_api:saved-cart-restore": Policy(CUSTOMER_OWNED),
    # Wishlists (issue 15, branch cwish): a list by id is its customer's; the shared link is public
    # (customer A's list is private, so it is a 404 to everyone).
    "wishlists:list": Policy(SIGNED_IN, {"name": "probe", "visibility": "private"}),
    "wishlists:add": Policy(SIGNED_IN),
    "wishlists:from_cart": Policy(CUSTOMER_OWNED),
    "wishlists:shared": Policy(PUBLIC),
    "wishlists:detail": Policy(CUSTOMER_OWNED, {"name": "Mallory", "visibility": "public", "is_default": "on"}),
    "wishlists:delete": Policy(CUSTOMER_OWNED),
    "wishlists:share_link": Policy(CUSTOMER_OWNED),
    "wishlists:item_update": Policy(CUSTOMER_OWNED, {"notes": "probe", "priority": "1"}),
    "wishlists:item_remove": Policy(CUSTOMER_OWNED),
    "wishlists:item_move_to_cart": Policy(CUSTOMER_OWNED, {"quantity": "1"}),
    "wishlists_api:wishlists": Policy(SIGNED_IN, {"name": "probe"}),
    "wishlists_api:wishlist": Policy(CUSTOMER_OWNED, {"name": "Mallory", "visibility": "public"}),
    "wishlists_api:items": Policy(CUSTOMER_OWNED, {"variant_id": 1}),
    "wishlists_api:item": Policy(CUSTOMER_OWNED, {"notes": "probe", "priority": 1}),
    "wishlists_api:item_move_to_cart": Policy(CUSTOMER_OWNED, {"quantity": 1}),
}


def snapshot(world: World) -> dict[str, Any]:
    """Everything customer A and seller A own that a probe could change."""
    a, seller = world.a, world.seller_a
    return {
        "address": list(Address.objects.filter(user=a.user).values().order_by("pk")),
        "api sign-in": list(UserSession.objects.filter(pk=a.api_session.pk).values("is_active", "refresh_jti")),
        "order": list(Order.objects.filter(customer=a.user).values("pk", "status_id", "total_amount")),
        "wallet": list(Wallet.objects.filter(user=a.user).values("balance")),
        "coupons": list(IssuedCoupon.objects.filter(user=a.user).values("pk", "used_at", "order_id")),
        "stock": list(InventoryItem.objects.filter(variant=seller.variant).values("quantity")),
        "cart": list(Cart.all_objects.filter(customer=a.user).values("pk", "status", "total_amount")),
        "cart items": list(
            CartItem.all_objects.filter(cart__customer=a.user).values("pk", "quantity", "deleted_at").order_by("pk")
        ),
        "product": [seller.product.title, seller.product.status],
        "returns": list(OrderReturn.objects.filter(customer=a.user).values("pk", "status").order_by("pk")),
        "issues": list(
            OrderIssue.objects.filter(customer=a.user)
            .order_by("pk")
            .values("pk", "status", "customer_satisfaction", "seller_response", "compensation_amount")
        ),
        "cancellations": list(OrderCancellation.objects.filter(order__customer=a.user).values("pk", "status")),
        "notifications": list(Notification.objects.filter(user=a.user).values("pk", "read_at").order_by("pk")),
        "shipments": list(OrderTracking.objects.filter(order__customer=a.user).values("pk", "status")),
        "payment methods": list(
            PaymentMethod.objects.filter(user=a.user).values("pk", "status", "is_default").order_by("pk")
        ),
        "saved carts": list(
            SavedCart.objects.filter(customer=a.user).values("pk", "name", "expires_at").order_by("pk")
        ),
        "carts, deleted or not": list(
            Cart.all_objects.filter(customer=a.user).values("pk", "deleted_at").order_by("pk")
        ),
        "wishlists": list(
            Wishlist.all_objects.filter(customer=a.user)
            .values("pk", "name", "visibility", "is_default", "share_token", "deleted_at")
            .order_by("pk")
        ),
        "wishlist items": list(
            WishlistItem.all_objects.filter(wishlist__customer=a.user)
            .values("pk", "notes", "priority", "deleted_at")
            .order_by("pk")
        ),
    }


def secrets_of(world: World) -> list[str]:
    """Strings only customer A (or staff) should ever see."""
    a = world.a
    card = a.payment_method.token if a.payment_method else ""
    wish = a.wishlist_item.notes if a.wishlist_item else ""  # on a private list: A's alone
    return [a.user.email, a.order.order_number or "", a.address.street_address, a.issue.description, card, wish]


class Caller:
    def __init__(self, name: str, user: Any | None, token: str | None = None) -> None:
        self.name = name
        self.user = user
        self.page = Client()
        self.api = APIClient()
        if user is not None:
            self.api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    def call(self, route: Route, method: str, path: str, body: dict[str, Any] | None):
        if self.user is not None:
            # Signed in afresh for every probe: an earlier probe (sign-out) may have ended the session.
            self.page.force_login(self.user)
        if route.is_api:
            return getattr(self.api, method)(path, body or {}, format="json")
        if method in ("get", "delete"):
            return getattr(self.page, method)(path)
        return getattr(self.page, method)(path, body or {})


def refused_anonymously(route: Route, response: Any) -> bool:
    if response.status_code in (401, 403, 405):
        return True
    location = response.get("Location", "") if response.status_code == 302 else ""
    return location.startswith((reverse("accounts:login"), reverse("admin:login")))


def test_every_route_has_a_policy(scorecard_row):
    routes = all_routes()
    unnamed = [r.route for r in routes if r.name is None and not r.is_admin]
    # Admin routes come from the ModelAdmins and are staff only, except those listed in POLICY.
    missing = [r.name for r in routes if r.name and not r.is_admin and r.name not in POLICY]
    stale = sorted(set(POLICY) - {r.name for r in routes})
    passed = scorecard_row(
        "every route from the URL resolver has a policy",
        f"{len(routes)} routes ({sum(r.is_admin for r in routes)} admin), {len(missing)} without a policy"
        + (f": {missing}" if missing else "")
        + (f"; unnamed: {unnamed}" if unnamed else "")
        + (f"; stale entries: {stale}" if stale else ""),
        not unnamed and not missing and not stale,
    )
    assert passed


def test_ids_in_the_body_are_looked_up_through_the_caller(scorecard_row):
    world = build_world()
    b = APIClient()
    b.credentials(HTTP_AUTHORIZATION=f"Bearer {world.b.token}")
    a_coupon = world.a.issued_coupon
    before = IssuedCoupon.objects.filter(pk=a_coupon.pk).values("user_id", "used_at", "order_id").get()
    response = b.post(
        "/api/v1/orders/",
        {"items": [{"variant_id": world.seller_a.variant.pk, "quantity": 1}], "coupon_id": a_coupon.pk},
        format="json",
    )
    after = IssuedCoupon.objects.filter(pk=a_coupon.pk).values("user_id", "used_at", "order_id").get()
    # `coupon_id` names one of the caller's issued coupons only: A's is "not yours", and nothing moves.
    used_by_b = Order.objects.filter(customer=world.b.user, issued_coupon_id=a_coupon.pk).exists()
    refused = response.status_code == 400 and response.json().get("code") == "coupon_not_usable"
    passed = scorecard_row(
        "another customer's issued coupon id in an order body",
        f"{response.status_code} {response.json().get('code')}, customer A's coupon "
        + ("untouched" if after == before and not used_by_b else "USED OR CHANGED"),
        after == before and not used_by_b and refused,
    )
    assert passed


def test_authorization_matrix(scorecard_row):
    world = build_world()
    callers = {
        "anonymous": Caller("anonymous", None),
        "customer B": Caller("customer B", world.b.user, world.b.token),
        "seller B": Caller("seller B", world.seller_b.user, access_token(world.seller_b.user)),
        "customer A (staff functions)": Caller("customer A", world.a.user, world.a.token),
    }
    secrets = secrets_of(world)
    before = snapshot(world)
    leaks: list[str] = []
    probes = 0
    outcomes: Counter[str] = Counter()
    routes = [r for r in all_routes() if r.name]
    unprobed = []
    for route in routes:
        policy = POLICY.get(route.name, Policy("staff" if route.is_admin else "unknown"))
        staff_only = route.is_admin and policy.kind != PUBLIC
        if route.is_admin:
            kwargs = dict.fromkeys(route.params, "1")
            if "app_label" in kwargs:
                kwargs["app_label"] = "orders"
        else:
            kwargs = owned_kwargs(route.name, world) or public_kwargs(route.name, world) or {}
        if set(kwargs) != set(route.params):
            unprobed.append(route.name)
            continue
        path = reverse(route.name, kwargs=kwargs)
        for method in methods_of(route):
            for who, caller in callers.items():
                if who.startswith("customer A") and not route.is_admin:
                    continue  # A on their own things is not a probe
                response = caller.call(route, method, path, policy.body)
                probes += 1
                status = response.status_code
                outcomes[f"{status}"] += 1
                what = f"{method.upper()} {path} as {who} -> {status}"
                if status >= 500:
                    leaks.append(f"{what} (server error)")
                    continue
                content = response.content.decode(errors="replace") if hasattr(response, "content") else ""
                if who != "customer A (staff functions)" and any(s and s in content for s in secrets):
                    leaks.append(f"{what}: customer A's data in the answer")
                if staff_only:
                    if not refused_anonymously(route, response):
                        leaks.append(f"{what}: the admin answered a non-staff user")
                elif policy.kind == OWNER_OWNED:
                    if status not in (404, 405):
                        leaks.append(f"{what}: another owner's object must be a 404, to a visitor too")
                elif who == "anonymous":
                    if policy.kind != PUBLIC and not refused_anonymously(route, response):
                        leaks.append(f"{what}: answered a visitor")
                elif policy.kind == CUSTOMER_OWNED and status not in (404, 405):
                    leaks.append(f"{what}: another owner's object must be a 404")
                elif (
                    policy.kind == SELLER_OWNED
                    and status not in (404, 405)
                    and not (who == "customer B" and status == 403)
                ):
                    leaks.append(f"{what}: another seller's object must be a 404")
                elif policy.kind == SELLER_ONLY and who == "customer B" and status not in (403, 404, 405):
                    leaks.append(f"{what}: a seller page answered a customer")
                if snapshot(world) != before:
                    leaks.append(f"{what}: CHANGED customer A's or seller A's data")
                    before = snapshot(world)
    passed = scorecard_row(
        "another customer / another seller / a customer on staff functions / anonymous",
        f"{len(routes)} routes, {probes} probes ({', '.join(f'{n}x{s}' for s, n in sorted(outcomes.items()))}), "
        f"{len(leaks)} leaks"
        + (": " + "; ".join(leaks[:6]) if leaks else "")
        + (f"; {len(unprobed)} routes without ids: {unprobed[:5]}" if unprobed else ""),
        not leaks and not unprobed,
    )
    assert passed, leaks[:20]
