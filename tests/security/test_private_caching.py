"""Row 2 (headers), what caches may keep (issue 10, items 2 and 9).

- Every GET answer of every reversible route to a signed-in customer, by session and (for the
  API) by JWT, says `Cache-Control: private` or `no-store`; the account, wallet, order and cart
  pages and their API answers say `no-store`.
- The shop's own public cache keeps a browser's and a JSON client's answers apart (`Accept`),
  never serves a page carrying one visitor's CSRF token to another, and leaves the caching
  headers of the anonymous answers it keeps as the views set them.

In-process, with the test settings (the cache switched on where it is probed).
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from common.public_cache import HIT_HEADER
from orders.services import order_place
from payments.services import wallet_charge
from tests.factories.accounts import CustomerFactory
from tests.factories.commerce import ProductFactory, VariantFactory

from .routes import reversible_routes, url_for
from .world import World, build_world

pytestmark = pytest.mark.scorecard(row=2)

# The pages and API answers nobody may keep, not even the browser (the spec; the middleware has
# its own list): every route in these namespaces but the public best sellers, and the customer's
# own coupons.
NO_STORE_NAMESPACES = {"accounts", "accounts_api", "payments", "payments_api", "orders", "orders_api", "carts"} | {
    "carts_api"  # the cart API (issue 15)
}
PUBLIC_IN_THOSE = {"orders_api:products-popular"}
NO_STORE_ELSEWHERE = {"promotions_api:my_coupons"}
HTML = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
JSON = {"HTTP_ACCEPT": "application/json"}
CSRF_TOKEN = re.compile(r'"csrfToken": "([A-Za-z0-9]+)"')


def directives(response) -> set[str]:
    value = response.get("Cache-Control", "")
    return {part.strip().split("=", 1)[0].lower() for part in value.split(",") if part.strip()}


def must_not_store(name: str) -> bool:
    namespace = name.split(":", 1)[0] if ":" in name else ""
    return name in NO_STORE_ELSEWHERE or (namespace in NO_STORE_NAMESPACES and name not in PUBLIC_IN_THOSE)


@pytest.mark.django_db
def test_row02_signed_in_answers_are_private_and_account_answers_not_stored(scorecard_row):
    world: World = build_world()
    browser = Client()
    browser.force_login(world.a.user)
    app = APIClient()
    app.credentials(HTTP_AUTHORIZATION=f"Bearer {world.a.token}")

    not_private: list[str] = []
    stored: list[str] = []
    answers = no_store_routes = 0
    for route in reversible_routes():
        if route.is_admin and route.name != "admin:index":
            continue  # the admin's own never_cache; a customer is sent to its sign-in page
        path = url_for(route, world)
        if path is None or route.name is None:
            continue
        clients = [("session", browser)] + ([("jwt", app)] if route.is_api else [])
        no_store_routes += must_not_store(route.name)
        for how, client in clients:
            response = client.get(path)
            answers += 1
            found = directives(response)
            if not found & {"private", "no-store"}:
                not_private.append(f"{route.name} ({how}, {response.status_code}): {response.get('Cache-Control')!r}")
            if must_not_store(route.name) and "no-store" not in found:
                stored.append(f"{route.name} ({how}, {response.status_code}): {response.get('Cache-Control')!r}")

    private_ok = scorecard_row(
        "signed-in answers Cache-Control private (session and JWT)",
        f"{answers} answers, {len(not_private)} without private or no-store"
        + (": " + "; ".join(not_private[:5]) if not_private else ""),
        answers > 0 and not not_private,
    )
    no_store_ok = scorecard_row(
        "account, wallet, order and cart pages and API no-store",
        f"{no_store_routes} routes, {len(stored)} answers without no-store"
        + (": " + "; ".join(stored[:5]) if stored else ""),
        no_store_routes > 0 and not stored,
    )
    assert private_ok and no_store_ok, (not_private[:20], stored[:20])


# --- the shop's public cache ----------------------------------------------------------------------


def _token_secret(response) -> str | None:
    found = CSRF_TOKEN.search(response.content.decode())
    return _unmask_cipher_token(found.group(1)) if found else None


@pytest.mark.django_db(transaction=True)
def test_row02_the_public_cache_keeps_answers_apart(settings, scorecard_row):
    settings.PUBLIC_CACHE_ENABLED = True
    customer = CustomerFactory().user
    wallet_charge(user=customer, amount="100.00")
    variant = VariantFactory(product=ProductFactory(), price=Decimal("10.00"), stock=5)
    order_place(user=customer, lines=[{"variant_id": variant.pk, "quantity": 1}])
    urls = [reverse("catalog_api:product-list") + "?row=2", reverse("orders_api:products-popular") + "?days=2"]

    wrong_type = []
    for url in urls:
        Client().get(url, **HTML)
        answer = APIClient().get(url, **JSON)
        if answer["Content-Type"] != "application/json":
            wrong_type.append(f"{url}: {answer['Content-Type']}")
    accept_ok = scorecard_row(
        "public cache: a JSON client after a browser gets JSON",
        f"{len(urls)} URLs, {len(wrong_type)} answered another type"
        + (": " + "; ".join(wrong_type) if wrong_type else ""),
        not wrong_type,
    )

    leaked = []
    # Their own URLs: not the answers the JSON check above may have stored.
    victims = [("signed in", urls[1] + "&victim", True), ("visitor with a CSRF cookie", urls[0] + "&victim", False)]
    for who, url, sign_in in victims:
        victim = Client()
        if sign_in:
            victim.force_login(customer)
        secret = ("s" if sign_in else "v") * 32
        victim.cookies[settings.CSRF_COOKIE_NAME] = secret
        assert _token_secret(victim.get(url, **HTML)) == secret  # the page carries the victim's token
        other = Client().get(url, **HTML)
        if other.get(HIT_HEADER) == "hit" or _token_secret(other) == secret:
            leaked.append(f"{who}: {url}")
    csrf_ok = scorecard_row(
        "public cache: no page with a visitor's CSRF token served to another",
        f"{len(victims)} victims, {len(leaked)} tokens served to someone else"
        + (": " + "; ".join(leaked) if leaked else ""),
        not leaked,
    )

    changed = []
    anonymous = [
        reverse("home"),
        reverse("catalog:product_list"),
        reverse("catalog:product_detail", args=[variant.product_id]),
        reverse("catalog_api:product-list"),
        reverse("orders_api:products-popular"),
    ]
    for url in anonymous:
        first, second = Client().get(url, **JSON), Client().get(url, **JSON)
        if second.get(HIT_HEADER) != "hit" or first.get("Cache-Control") != second.get("Cache-Control"):
            changed.append(
                f"{url}: {first.get('Cache-Control')!r} then {second.get(HIT_HEADER)} {second.get('Cache-Control')!r}"
            )
        elif "private" in directives(first) and url != anonymous[2]:  # the product page's own never_cache
            changed.append(f"{url}: private for an anonymous reader")
    kept_ok = scorecard_row(
        "public cache: anonymous answers kept with their own caching headers",
        f"{len(anonymous)} URLs, {len(changed)} problems" + (": " + "; ".join(changed) if changed else ""),
        not changed,
    )
    assert accept_ok and csrf_ok and kept_ok, (wrong_type, leaked, changed)
