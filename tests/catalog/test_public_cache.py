"""Cached public answers (common/public_cache.py): anonymous readers get a stored page until a
write changes what it shows; everybody else always gets a live one.

These tests commit for real (transactional), because the bumps that keep pages fresh run after
commit, as they do in the shop.
"""

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client, override_settings
from django.urls import path, reverse
from rest_framework.test import APIClient

from catalog.models import Category, Product
from common.public_cache import HIT_HEADER, PublicCacheMiddleware, cache_public_response
from inventory.models import InventoryItem
from inventory.services import stock_adjust, stock_restock
from orders.services import order_cancel, order_place
from payments.services import wallet_charge
from tests.factories.accounts import CustomerFactory
from tests.factories.commerce import ProductFactory, VariantFactory
from tests.redis_commands import command_name, redis_commands_sent

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.PUBLIC_CACHE_ENABLED = True


@pytest.fixture
def variant():
    product = ProductFactory(title="Trail Running Shoe")
    return VariantFactory(product=product, name="EU 42", price=Decimal("60.00"), stock=3)


@pytest.fixture
def buyer():
    user = CustomerFactory().user
    wallet_charge(user=user, amount="500.00")
    return user


def page_of(client, variant):
    return client.get(reverse("catalog:product_detail", args=[variant.product_id]))


def test_a_second_anonymous_visit_is_served_without_the_database(client, variant, django_assert_num_queries):
    first = page_of(client, variant)
    assert first.status_code == 200 and first[HIT_HEADER] == "miss"

    with django_assert_num_queries(0):
        second = page_of(client, variant)

    assert second.status_code == 200 and second[HIT_HEADER] == "hit"
    assert second.content == first.content
    assert "Only 3 left" in second.content.decode()
    # The security headers come from the middleware on every answer, cached or not.
    assert "Content-Security-Policy" in second and second["X-Frame-Options"] == "DENY"


def test_a_first_visit_that_starts_its_products_generation_looks_for_no_stored_answer(client, variant, monkeypatch):
    """A product nobody asked for since Redis lost its data (a restart, a flush) has no generation:
    the visit starts it, so no answer can be stored under it. One round trip reads the generations
    and starts the product's (a script), none looks for the entry or the kept product; both are
    stored for the next visit."""
    from django.core.cache import cache

    from common.public_cache import _generation_key

    page_of(client, variant)
    cache.delete(_generation_key(f"catalog:product:{variant.product_id}"))
    sent = redis_commands_sent(monkeypatch)
    first = page_of(client, variant)
    assert first[HIT_HEADER] == "miss"
    # The read that starts it, then two stores sent without reply: the product's rows and the answer.
    assert [command_name(command) for command in sent] == [b"EVALSHA", b"CLIENT", b"CLIENT"]
    assert all(b"SKIP" in store and b"\r\nSET\r\n" in store for store in sent[1:])
    sent.clear()
    second = page_of(client, variant)
    assert second[HIT_HEADER] == "hit" and second.content == first.content
    assert [command_name(command) for command in sent] == [b"EVALSHA"]  # served from this worker's memory


def test_an_order_makes_the_product_page_and_the_listings_live_again(client, variant, buyer):
    list_url = reverse("catalog:product_list")
    api_url = reverse("catalog_api:product-detail", args=[variant.product_id])
    assert "Only 3 left" in page_of(client, variant).content.decode()
    client.get(list_url)
    assert APIClient().get(api_url).json()["variants"][0]["available_quantity"] == 3

    placed = order_place(user=buyer, lines=[{"variant_id": variant.pk, "quantity": 2}])

    page = page_of(client, variant)
    assert page[HIT_HEADER] == "miss" and "Only 1 left" in page.content.decode()
    assert client.get(list_url)[HIT_HEADER] == "miss"
    assert APIClient().get(api_url).json()["variants"][0]["available_quantity"] == 1

    order_cancel(order_id=placed.order.pk, user=buyer, reason="changed my mind")

    assert "Only 3 left" in page_of(client, variant).content.decode()


def test_a_restock_and_a_staff_edit_show_at_once(client, variant, superuser):
    page_of(client, variant)

    stock_restock(variant_id=variant.pk, quantity=20)
    assert "In stock" in page_of(client, variant).content.decode()

    staff = APIClient()
    staff.force_login(superuser)
    product = Product.objects.get(pk=variant.product_id)
    product.title = "Trail Running Shoe II"
    product.save()
    assert "Trail Running Shoe II" in page_of(client, variant).content.decode()

    Category.objects.filter(pk=product.category_id).update(name="unseen")  # no save(): no bump
    Category.objects.get(pk=product.category_id).save()  # a save bumps every product page
    assert "unseen" in page_of(client, variant).content.decode()


def test_another_products_page_stays_cached_when_one_sells(client, variant, buyer):
    other = VariantFactory(product=ProductFactory(title="Camp Stove"), stock=5)
    page_of(client, other)

    order_place(user=buyer, lines=[{"variant_id": variant.pk, "quantity": 1}])

    assert page_of(client, other)[HIT_HEADER] == "hit"


def test_signed_in_customers_always_get_a_live_page_with_the_order_form(client, variant, buyer):
    page_of(client, variant)  # an anonymous copy is stored
    client.force_login(buyer)

    page = page_of(client, variant)

    assert HIT_HEADER not in page
    assert "Buy now" in page.content.decode()
    # A stock count, as staff make it: the product's rows every visitor shares are read again.
    stock_adjust(inventory_item_id=InventoryItem.objects.get(variant=variant).pk, new_quantity=1)
    assert "Only 1 left" in page_of(client, variant).content.decode()


def test_a_jwt_reader_is_never_served_from_the_cache(variant):
    url = reverse("catalog_api:product-list")
    APIClient().get(url)
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = reader.get(url)

    assert response.status_code == 401  # authentication still runs for a request that sends a token
    assert HIT_HEADER not in response


def test_htmx_fragments_are_kept_apart_from_pages(client, variant):
    url = reverse("catalog:product_list")
    htmx = {"HX-Request": "true", "HX-Target": "product-results"}
    full = client.get(url)
    fragment = client.get(url, headers=htmx)
    assert fragment[HIT_HEADER] == "miss"
    assert client.get(url, headers=htmx).content == fragment.content
    assert client.get(url).content == full.content


def test_errors_are_not_stored(client):
    missing = reverse("catalog:product_detail", args=[999999])
    assert client.get(missing).status_code == 404
    assert HIT_HEADER not in client.get(missing)


def test_with_redis_away_pages_render_from_the_database(client, variant):
    page_of(client, variant)
    unreachable = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens on the discard port
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        },
        "public_local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "public-answers"},
    }
    with override_settings(CACHES=unreachable):
        page = page_of(client, variant)

    assert page.status_code == 200 and HIT_HEADER not in page
    assert "Only 3 left" in page.content.decode()


# --- the home page and popular products (orders) --------------------------------------------------


def test_the_home_page_is_kept_until_the_catalogue_or_a_cancellation_changes_it(client, variant, buyer):
    placed = order_place(user=buyer, lines=[{"variant_id": variant.pk, "quantity": 1}])
    home = client.get(reverse("home"))
    assert home[HIT_HEADER] == "miss" and "Trail Running Shoe" in home.content.decode()
    assert client.get(reverse("home"))[HIT_HEADER] == "hit"

    order_cancel(order_id=placed.order.pk, user=buyer, reason="changed my mind")

    again = client.get(reverse("home"))
    assert again[HIT_HEADER] == "miss"


def test_popular_products_are_shared_by_everyone_even_with_a_token(variant, buyer):
    url = reverse("orders_api:products-popular")
    order_place(user=buyer, lines=[{"variant_id": variant.pk, "quantity": 2}])
    first = APIClient().get(url)
    assert first[HIT_HEADER] == "miss"
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION="Bearer stale-or-foreign")  # the endpoint reads no user

    second = reader.get(url)

    assert second.status_code == 200 and second[HIT_HEADER] == "hit"
    assert second.json() == first.json() == [{"product": second.json()[0]["product"], "quantity": 2}]


# --- what an answer varies on, and what it used (issue 10, item 2) ---------------------------------

HTML = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
JSON = {"HTTP_ACCEPT": "application/json"}
CSRF_TOKEN = re.compile(r'"csrfToken": "([A-Za-z0-9]+)"')


@pytest.mark.parametrize(
    "url_name", ["catalog_api:product-list", "orders_api:products-popular"], ids=["products", "popular"]
)
def test_a_json_client_after_a_browser_gets_json(variant, url_name):
    url = reverse(url_name) + "?page_size=5&days=3"
    page = Client().get(url, **HTML)  # the browsable API's page
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")

    first = APIClient().get(url, **JSON)
    again = APIClient().get(url, **JSON)

    assert first["Content-Type"] == "application/json" and first.json() == again.json()
    assert HIT_HEADER not in page  # it handed out a CSRF token: never stored
    assert first[HIT_HEADER] == "miss" and again[HIT_HEADER] == "hit"  # JSON is still kept


def _victim_token(response) -> str:
    found = CSRF_TOKEN.search(response.content.decode())
    assert found, "the browsable API page carries a CSRF token"
    return found.group(1)


def test_a_signed_in_browsers_page_with_its_csrf_token_is_never_served_to_anyone_else(client, variant, buyer):
    url = reverse("orders_api:products-popular")  # shared by everyone, signed in or not
    secret = "k" * 32
    client.force_login(buyer)
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    page = client.get(url, **HTML)
    assert page.status_code == 200 and _unmask_cipher_token(_victim_token(page)) == secret

    other = Client().get(url, **HTML)

    assert HIT_HEADER not in other
    assert _unmask_cipher_token(_victim_token(other)) != secret


def test_a_visitors_page_with_a_token_from_their_csrf_cookie_is_never_served_to_another(client, variant):
    url = reverse("catalog_api:product-list")
    secret = "v" * 32
    client.cookies[settings.CSRF_COOKIE_NAME] = secret  # not signed in: only the CSRF cookie
    assert _unmask_cipher_token(_victim_token(client.get(url, **HTML))) == secret

    other = Client().get(url, **HTML)

    assert HIT_HEADER not in other
    assert _unmask_cipher_token(_victim_token(other)) != secret


def test_a_signed_in_visitors_answer_is_not_stored_even_where_everyone_shares(client, variant, buyer):
    url = reverse("orders_api:products-popular")
    client.force_login(buyer)
    assert HIT_HEADER not in client.get(url, **JSON)  # their session was read: never stored

    assert APIClient().get(url, **JSON)[HIT_HEADER] == "miss"


def test_the_store_decision_comes_after_every_other_middleware():
    assert settings.MIDDLEWARE[0] == f"{PublicCacheMiddleware.__module__}.{PublicCacheMiddleware.__name__}"


# A view that answers by Accept (as DRF does) and says so, and one that varies on a header the key
# does not cover.


@cache_public_response(lambda request: ["test-negotiation"])
def negotiated(request):
    wants_json = "application/json" in request.headers.get("Accept", "")
    response = HttpResponse(
        b'{"a": 1}' if wants_json else b"a = 1", content_type="application/json" if wants_json else "text/plain"
    )
    response["Vary"] = "Accept"
    return response


@cache_public_response(lambda request: ["test-negotiation"])
def by_user_agent(request):
    response = HttpResponse(request.headers.get("User-Agent", "").encode(), content_type="text/plain")
    response["Vary"] = "User-Agent"
    return response


urlpatterns = [path("negotiated/", negotiated), path("by-user-agent/", by_user_agent)]


@pytest.mark.urls(__name__)
def test_each_accept_gets_its_own_entry(client):
    text = client.get("/negotiated/", HTTP_ACCEPT="text/plain")
    json = client.get("/negotiated/", **JSON)
    assert text[HIT_HEADER] == json[HIT_HEADER] == "miss"

    assert client.get("/negotiated/", HTTP_ACCEPT="text/plain").content == b"a = 1"
    again = client.get("/negotiated/", **JSON)
    assert again[HIT_HEADER] == "hit" and again.content == b'{"a": 1}' and again["Content-Type"] == "application/json"


@pytest.mark.urls(__name__)
def test_an_answer_varying_on_a_header_the_key_does_not_cover_is_not_stored(client):
    assert HIT_HEADER not in client.get("/by-user-agent/", HTTP_USER_AGENT="one")
    assert client.get("/by-user-agent/", HTTP_USER_AGENT="two").content == b"two"


@pytest.mark.parametrize(
    "url, secure, host",
    [
        ("/products/12/", False, "shop.example"),
        ("/products/?q=caf%C3%A9&page=2", True, "shop.example"),
        ("/products/?q=café&sort=price", False, "127.0.0.1:8000"),
        ("/api/v1/products/?page=3&q=a%20b%26c", True, "api.shop.example"),
        ("/categories/läufer/", False, "shop.example"),
    ],
)
def test_an_entrys_key_names_the_url_as_build_absolute_uri_does(rf, url, secure, host):
    """The key is built from the URL without build_absolute_uri()'s parsing: the same URL for the
    paths a shop serves, so scheme, host, path and query still each make their own entry."""
    from common.public_cache import _entry_key

    with override_settings(ALLOWED_HOSTS=[host.partition(":")[0]]):
        request = rf.get(url, secure=secure, HTTP_HOST=host)
        other_scheme = rf.get(url, secure=not secure, HTTP_HOST=host)
        key = _entry_key(request)

        assert key == _entry_key_from_absolute_uri(request)
        assert key != _entry_key(other_scheme)


def _entry_key_from_absolute_uri(request):
    """The key as it was computed before, with Django's build_absolute_uri()."""
    import hashlib

    from django.utils import translation

    from common.public_cache import ENTRY_PREFIX

    parts = [request.build_absolute_uri(), translation.get_language() or "", "", "", ""]
    return ENTRY_PREFIX + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def test_an_answer_another_worker_stored_comes_with_the_generations_and_only_while_they_are_current(
    client, variant, monkeypatch
):
    """An entry carries the generations it was rendered under: another worker's visitor gets it
    with the request's one generations read (no GET of its own), and after a change (the product's
    generation bumped) the entry left in Redis is not served."""
    from django.core.cache import caches

    first = page_of(client, variant)
    assert first[HIT_HEADER] == "miss"
    caches["public_local"].clear()  # another worker: nothing in its memory
    sent = redis_commands_sent(monkeypatch)
    again = page_of(client, variant)
    assert again[HIT_HEADER] == "hit" and again.content == first.content
    assert [command_name(command) for command in sent] == [b"EVALSHA"]
    monkeypatch.undo()

    stock_restock(variant_id=variant.pk, quantity=10)  # bumps the product's generation
    caches["public_local"].clear()
    fresh = page_of(client, variant)
    assert fresh[HIT_HEADER] == "miss" and "Only 3 left" not in fresh.content.decode()
