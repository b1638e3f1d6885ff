"""The cart page's estimate and the checkout page: choose or add an address, see shipping and tax,
and pay exactly what was shown."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Address
from carts.services import cart_add_item
from orders.models import Order
from payments.services import wallet_charge
from tests.factories.accounts import AddressFactory, CustomerFactory
from tests.factories.commerce import ShippingRuleFactory, TaxRateFactory

pytestmark = pytest.mark.django_db

CHECKOUT = reverse("orders:checkout")


@pytest.fixture
def pricing():
    ShippingRuleFactory(country="US", flat_rate=Decimal("4.95"), free_over=Decimal("100.00"))
    ShippingRuleFactory(country="", flat_rate=Decimal("14.90"))
    TaxRateFactory(country="US", rate=Decimal("10"))
    TaxRateFactory(country="GB", rate=Decimal("20"))


@pytest.fixture
def in_cart(customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=2)  # 2 x 20.00
    return variant


def _totals(html: str) -> dict[str, str]:
    rows = re.findall(
        r'<th scope="row">(\w+)[^<]*(?:<span[^>]*>[^<]*</span>)?</th><td class="amount">([^<]+)</td>', html
    )
    return {label: amount.split()[0].replace("\u2212", "") for label, amount in rows}


def test_the_cart_page_estimates_shipping_and_tax_to_the_primary_address(shopper, in_cart, pricing):
    html = shopper.get(reverse("carts:detail")).content.decode()

    # 40.00 + 4.95 shipping + 10% tax on both (4.00 + 0.50 rounded 0.495 -> 0.50)
    assert _totals(html) == {"Subtotal": "40.00", "Shipping": "4.95", "Tax": "4.50", "Total": "49.45"}
    assert f'href="{CHECKOUT}"' in html


def test_the_checkout_page_preselects_the_primary_address_and_prices_another(shopper, customer, in_cart, pricing):
    primary = customer.addresses.get(is_primary=True)
    london = AddressFactory(user=customer, country="GB", city="London")

    first = shopper.get(CHECKOUT).content.decode()
    other = shopper.get(CHECKOUT, {"address": london.pk}).content.decode()

    assert re.search(rf'value="{primary.pk}"\s+checked', first)
    assert _totals(first)["Total"] == "49.45"
    assert re.search(rf'value="{london.pk}"\s+checked', other)
    # 40.00 + 14.90, 20% tax on each: 8.00 + 2.98
    assert _totals(other) == {"Subtotal": "40.00", "Shipping": "14.90", "Tax": "10.98", "Total": "65.88"}
    assert f'name="shipping_address_id" value="{london.pk}"' in other


def test_placing_from_the_checkout_page_pays_what_it_showed(shopper, customer, in_cart, pricing):
    london = AddressFactory(user=customer, country="GB", city="London")
    page = shopper.get(CHECKOUT, {"address": london.pk}).content.decode()
    key = re.search(r'name="idempotency_key" value="(\w+)"', page).group(1)

    response = shopper.post(CHECKOUT, {"idempotency_key": key, "shipping_address_id": london.pk}, follow=True)

    order = Order.objects.get(customer=customer)
    assert str(order.total_amount) == _totals(page)["Total"] == "65.88"
    assert (order.shipping_city, str(order.shipping_country)) == ("London", "GB")
    html = response.content.decode()
    assert "Delivery address" in html and "London" in html and "United Kingdom" in html


def test_another_customers_address_id_is_refused_and_nothing_is_written(shopper, customer, in_cart, pricing):
    theirs = AddressFactory(city="Secretville")

    response = shopper.post(CHECKOUT, {"idempotency_key": "f" * 32, "shipping_address_id": theirs.pk}, follow=True)
    page = shopper.get(CHECKOUT, {"address": theirs.pk}).content.decode()

    assert not Order.objects.exists()
    assert "Choose one of your addresses." in response.content.decode()
    assert "Secretville" not in page  # the checkout page falls back to the customer's own primary address


def test_adding_an_address_inline_then_ordering_there(client, variant, pricing):
    user = CustomerFactory(user__primary_address=False).user
    wallet_charge(user=user, amount="200.00")
    client.force_login(user)
    cart_add_item(user=user, variant_id=variant.pk, quantity=1)
    empty = client.get(CHECKOUT).content.decode()
    assert "You have no delivery address yet" in empty and 'name="shipping_address_id"' not in empty

    bad = client.post(reverse("orders:checkout_address"), {"new-recipient_name": "Ada", "new-country": "Narnia"})
    assert bad.status_code == 400 and not Address.objects.filter(user=user).exists()

    added = client.post(
        reverse("orders:checkout_address"),
        {
            "new-address_type": "home",
            "new-recipient_name": "Ada",
            "new-street_address": "1 Analytical Row",
            "new-city": "London",
            "new-postal_code": "N1 1AA",
            "new-country": "GB",
            "new-phone": "+44 20 7946 0000",
        },
    )
    address = Address.objects.get(user=user)
    assert added.status_code == 302 and added["Location"] == f"{CHECKOUT}?address={address.pk}"
    assert address.is_primary  # the first address is the primary one

    page = client.get(added["Location"]).content.decode()
    key = re.search(r'name="idempotency_key" value="(\w+)"', page).group(1)
    client.post(CHECKOUT, {"idempotency_key": key, "shipping_address_id": address.pk})
    order = Order.objects.get(customer=user)
    assert (order.shipping_name, order.shipping_phone, str(order.total_amount)) == ("Ada", "+44 20 7946 0000", "41.88")


def test_checkout_without_any_address_says_to_add_one(client, variant):
    user = CustomerFactory(user__primary_address=False).user
    client.force_login(user)
    cart_add_item(user=user, variant_id=variant.pk, quantity=1)

    response = client.post(CHECKOUT, {"idempotency_key": "a1" * 16}, HTTP_REFERER="/cart/", follow=True)

    assert "Add a delivery address first." in response.content.decode()
    assert not Order.objects.exists()


def test_the_checkout_page_of_an_empty_cart_goes_back_to_the_cart(shopper):
    response = shopper.get(CHECKOUT)
    assert response.status_code == 302 and response["Location"] == reverse("carts:detail")


def test_the_checkout_page_needs_sign_in(client):
    assert client.get(CHECKOUT).status_code == 302
    assert client.post(reverse("orders:checkout_address"), {}).status_code == 302
