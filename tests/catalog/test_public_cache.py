"""Cached public answers (common/public_cache.py): anonymous readers get a stored page until a
write changes what it shows; everybody else always gets a live one.

These tests commit for real (transactional), because the bumps that keep pages fresh run after
commit, as they do in the shop.
"""

from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from catalog.models import Category, Product
from common.public_cache import HIT_HEADER
from inventory.models import InventoryItem
from inventory.services import stock_restock
from orders.services import order_cancel, order_place
from payments.services import wallet_charge
from tests.factories.accounts import CustomerFactory
from tests.factories.commerce import ProductFactory, VariantFactory

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
    InventoryItem.objects.filter(variant=variant).update(quantity=1)  # no bump: the page is live anyway
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
