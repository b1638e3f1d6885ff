"""The primary address is kept per customer (accounts.selectors.address_primary_kept) with the
public cache on, as in the shop: the cart page's delivery estimate reads no address on a repeat
render, and every write of an address (each address service, a row saved or deleted anywhere
else) shows on the customer's very next cart page. One customer's address never reaches another's.

Transactional: the bumps that forget the kept address run after commit, as in the shop.
"""

import re
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Address, User
from accounts.selectors import address_primary_kept
from accounts.services import address_create, address_delete, address_make_primary, address_update
from carts.services import cart_add_item
from tests.factories.accounts import AddressFactory, CustomerFactory
from tests.factories.commerce import VariantFactory

pytestmark = pytest.mark.django_db(transaction=True)

CART = reverse("carts:detail")
DELIVERED_TO = re.compile(r"Delivered to your primary address in ([^<]*):")


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.PUBLIC_CACHE_ENABLED = True
    caches["public_local"].clear()  # this worker's memory: every test starts cold


def _customer(city: str) -> User:
    user = CustomerFactory(user__primary_address=False).user
    AddressFactory(user=user, city=city, country="US", is_primary=True)
    cart_add_item(user=user, variant_id=VariantFactory(stock=5).pk, quantity=1)
    return user


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _delivered_to(client: Client) -> str | None:
    found = DELIVERED_TO.search(client.get(CART).content.decode())
    return found.group(1) if found else None


def _new_address(city: str, country: str) -> dict[str, str]:
    return {
        "recipient_name": "Ann",
        "street_address": "1 Main St",
        "city": city,
        "postal_code": "1",
        "country": country,
    }


def _address_queries(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if '"accounts_address"' in q["sql"]]


def test_the_kept_address_is_read_once_and_is_a_fresh_copy_each_time():
    ann = _customer("Springfield")
    first = address_primary_kept(user=ann)
    with CaptureQueriesContext(connection) as queries:
        again = address_primary_kept(user=ann)
    assert _address_queries(queries) == []
    assert again is not first and again.pk == first.pk and again.city == "Springfield"
    # None is kept too: a customer with no address asks once.
    nobody = CustomerFactory(user__primary_address=False).user
    assert address_primary_kept(user=nobody) is None
    with CaptureQueriesContext(connection) as queries:
        assert address_primary_kept(user=nobody) is None
    assert _address_queries(queries) == []


def test_a_repeat_cart_page_reads_no_address():
    ann = _customer("Springfield")
    client = _client(ann)
    assert _delivered_to(client) == "Springfield, United States of America"
    with CaptureQueriesContext(connection) as queries:
        assert _delivered_to(client) == "Springfield, United States of America"
    assert _address_queries(queries) == []


def test_every_address_service_shows_on_the_next_cart_page():
    ann = _customer("Springfield")
    client = _client(ann)
    assert _delivered_to(client) == "Springfield, United States of America"
    springfield = Address.objects.get(user=ann)

    lyon = address_create(user=ann, data=_new_address("Lyon", "FR"))
    assert _delivered_to(client) == "Springfield, United States of America"  # not asked to be primary

    address_make_primary(user=ann, address_id=lyon.pk)
    assert _delivered_to(client) == "Lyon, France"

    address_update(user=ann, address_id=lyon.pk, data={"city": "Marseille"})
    assert _delivered_to(client) == "Marseille, France"

    address_delete(user=ann, address_id=lyon.pk)  # the oldest remaining one takes over
    assert _delivered_to(client) == "Springfield, United States of America"

    address_create(
        user=ann, data=_new_address("Leeds", "GB"), is_primary=True
    )  # the old primary steps down (an .update())
    assert _delivered_to(client) == "Leeds, United Kingdom"

    Address.objects.filter(user=ann).exclude(pk=springfield.pk).delete()
    address_delete(user=ann, address_id=springfield.pk)
    html = client.get(CART).content.decode()
    assert DELIVERED_TO.search(html) is None
    assert "Shipping and tax depend on the delivery address: add one at checkout." in html


def test_an_address_saved_outside_the_services_shows_too():
    ann = _customer("Springfield")
    client = _client(ann)
    assert _delivered_to(client) == "Springfield, United States of America"
    address = Address.objects.get(user=ann)
    address.city = "Shelbyville"
    address.save()  # the shell, a data fix: the row's signal bumps the customer
    assert _delivered_to(client) == "Shelbyville, United States of America"


def test_customers_interleaved_each_see_their_own_address():
    ann, bob = _customer("Springfield"), _customer("Ogdenville")
    clients = {"ann": _client(ann), "bob": _client(bob)}
    for _round in range(2):
        assert _delivered_to(clients["ann"]) == "Springfield, United States of America"
        assert _delivered_to(clients["bob"]) == "Ogdenville, United States of America"
    address_update(user=bob, address_id=Address.objects.get(user=bob).pk, data={"city": "North Haverbrook"})
    assert _delivered_to(clients["ann"]) == "Springfield, United States of America"
    assert _delivered_to(clients["bob"]) == "North Haverbrook, United States of America"


def test_the_estimate_follows_the_kept_address():
    """The totals are priced to the address shown: a move abroad changes the shipping at once."""
    from tests.factories.commerce import ShippingRuleFactory

    ShippingRuleFactory(country="US", flat_rate=Decimal("4.95"))
    ShippingRuleFactory(country="", flat_rate=Decimal("14.90"))
    ann = _customer("Springfield")
    client = _client(ann)
    assert "4.95 USD" in client.get(CART).content.decode()
    address_update(user=ann, address_id=Address.objects.get(user=ann).pk, data={"country": "GB"})
    html = client.get(CART).content.decode()
    assert "14.90 USD" in html and "4.95 USD" not in html
