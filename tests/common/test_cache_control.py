"""Cache-Control on personal answers (common/middleware.py; issue 10, item 9): a shared proxy keeps
nothing a signed-in visitor sees, and nobody keeps the account, wallet, order and cart pages and
their API answers. Anonymous public answers keep their own headers.
"""

from decimal import Decimal

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from common.middleware import CacheControlMiddleware
from common.public_cache import HIT_HEADER
from orders.services import order_place
from payments.services import wallet_charge
from tests.factories.accounts import DEFAULT_PASSWORD, AddressFactory, CustomerFactory
from tests.factories.commerce import ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db


def directives(response) -> set[str]:
    return {
        part.strip().split("=", 1)[0].lower() for part in response.get("Cache-Control", "").split(",") if part.strip()
    }


@pytest.fixture
def customer():
    user = CustomerFactory().user
    wallet_charge(user=user, amount="100.00")
    return user


@pytest.fixture
def order(customer):
    variant = VariantFactory(product=ProductFactory(), price=Decimal("10.00"), stock=5)
    return order_place(user=customer, lines=[{"variant_id": variant.pk, "quantity": 1}]).order


def jwt_client(user) -> APIClient:
    token = APIClient().post(reverse("accounts_api:token"), {"email": user.email, "password": DEFAULT_PASSWORD})
    assert token.status_code == 200, token.content
    assert "no-store" in directives(token)  # the tokens themselves are kept by nobody
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['access']}")
    return client


# --- signed in: private ---------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", ["home", "catalog:product_list", "promotions:coupons"])
def test_a_signed_in_visitors_page_is_private(client, customer, url_name):
    client.force_login(customer)

    response = client.get(reverse(url_name))

    assert response.status_code == 200
    assert "private" in directives(response) and "public" not in directives(response)


def test_a_jwt_readers_api_answer_is_private(customer):
    response = jwt_client(customer).get(reverse("catalog_api:product-list"))

    assert response.status_code == 200 and "private" in directives(response)


def test_a_session_readers_api_answer_is_private(client, customer):
    client.force_login(customer)

    assert "private" in directives(client.get(reverse("promotions_api:coupons")))


def test_a_stronger_header_is_kept_and_public_becomes_private(rf: RequestFactory, customer):
    request = rf.get("/")
    request.user = customer

    public = CacheControlMiddleware(lambda r: _with(HttpResponse(), "public, max-age=60"))(request)
    never = CacheControlMiddleware(lambda r: _with(HttpResponse(), "no-store"))(request)

    assert directives(public) == {"private", "max-age"} and public["Cache-Control"].count("60") == 1
    assert never["Cache-Control"] == "no-store"


def _with(response: HttpResponse, cache_control: str) -> HttpResponse:
    response["Cache-Control"] = cache_control
    return response


# --- the account, wallet, order and cart pages and API: no-store ----------------------------------

NO_STORE_PAGES = [
    ("accounts:overview", []),
    ("accounts:profile", []),
    ("accounts:addresses", []),
    ("accounts:sessions", []),
    ("payments:wallet", []),
    ("orders:list", []),
    ("orders:detail", ["order"]),
    ("carts:detail", []),
]
NO_STORE_API = [
    ("accounts_api:me", []),
    ("accounts_api:addresses", []),
    ("accounts_api:address", ["address"]),
    ("accounts_api:preferences", []),
    ("accounts_api:sessions", []),
    ("payments_api:wallet", []),
    ("payments_api:wallet_entries", []),
    ("orders_api:order-list", []),
    ("orders_api:order-detail", ["order"]),
    ("promotions_api:my_coupons", []),
]


def _url(url_name, args, customer, request):
    values = []
    for arg in args:
        if arg == "order":
            values.append(request.getfixturevalue("order").pk)
        else:
            values.append(AddressFactory(user=customer).pk)
    return reverse(url_name, args=values)


@pytest.mark.parametrize(("url_name", "args"), NO_STORE_PAGES, ids=[name for name, _ in NO_STORE_PAGES])
def test_account_wallet_order_and_cart_pages_are_not_stored(client, customer, request, url_name, args):
    client.force_login(customer)

    response = client.get(_url(url_name, args, customer, request))

    assert response.status_code == 200
    assert {"no-store", "private"} <= directives(response)


@pytest.mark.parametrize(("url_name", "args"), NO_STORE_API, ids=[name for name, _ in NO_STORE_API])
def test_account_wallet_and_order_api_answers_are_not_stored(customer, request, url_name, args):
    response = jwt_client(customer).get(_url(url_name, args, customer, request))

    assert response.status_code == 200
    assert {"no-store", "private"} <= directives(response)


def test_the_sign_in_page_and_a_refused_token_request_are_not_stored(client):
    assert "no-store" in directives(client.get(reverse("accounts:login")))
    refused = APIClient().post(reverse("accounts_api:token"), {"email": "nobody@example.com", "password": "x"})
    assert refused.status_code == 401 and "no-store" in directives(refused)


# --- anonymous public answers: unchanged ----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "url_name", ["catalog:product_list", "catalog_api:product-list", "orders_api:products-popular", "home"]
)
def test_anonymous_public_answers_keep_their_headers(client, settings, url_name):
    settings.PUBLIC_CACHE_ENABLED = True
    VariantFactory(product=ProductFactory(), stock=2)

    first = client.get(reverse(url_name))
    second = client.get(reverse(url_name))

    assert first[HIT_HEADER] == "miss" and second[HIT_HEADER] == "hit"
    assert "Cache-Control" not in first and "Cache-Control" not in second


@pytest.mark.django_db(transaction=True)
def test_the_anonymous_product_page_keeps_its_own_header(client, settings):
    settings.PUBLIC_CACHE_ENABLED = True
    product = VariantFactory(product=ProductFactory(), stock=2).product
    url = reverse("catalog:product_detail", args=[product.pk])

    first, second = client.get(url), client.get(url)

    # The view's own never_cache (the signed-in page carries a one-time order key), as before.
    assert second[HIT_HEADER] == "hit" and first["Cache-Control"] == second["Cache-Control"]
