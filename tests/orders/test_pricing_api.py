"""POST checkout/quote/ and the address of POST orders/: the quote is what the order stores."""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from orders.models import Order
from promotions.services import coupon_claim
from tests.factories.accounts import AddressFactory, CustomerFactory
from tests.factories.commerce import CouponFactory, ShippingRuleFactory, TaxRateFactory, VariantFactory

pytestmark = pytest.mark.django_db

QUOTE = reverse("orders_api:checkout-quote")
ORDERS = reverse("orders_api:order-list")


@pytest.fixture
def pricing():
    ShippingRuleFactory(country="US", flat_rate=Decimal("4.95"), per_kg=Decimal("0.50"))
    ShippingRuleFactory(country="", flat_rate=Decimal("14.90"))
    TaxRateFactory(country="US", rate=Decimal("7.25"))
    TaxRateFactory(country="GB", rate=Decimal("20"))


def test_the_quote_is_what_the_order_stores(api, customer, pricing):
    variant = VariantFactory(price=Decimal("12.34"), weight_kg=Decimal("1.500"))
    issued = coupon_claim(coupon_id=CouponFactory(discount_value=Decimal("3.00")).pk, user=customer)
    body = {"items": [{"variant_id": variant.pk, "quantity": 3}], "coupon_id": issued.pk}

    quoted = api.post(QUOTE, body, format="json")
    placed = api.post(ORDERS, body, format="json")

    assert quoted.status_code == 200, quoted.json()
    assert placed.status_code == 201, placed.json()
    quote, order = quoted.json(), placed.json()
    # 37.02 - 3.00; shipping 4.95 + 4.5 kg x 0.50 = 7.20; tax 7.25% of 34.02 (2.47) + of 7.20 (0.52)
    assert {k: quote[k] for k in ("subtotal", "discount", "shipping", "tax", "total")} == {
        "subtotal": "37.02",
        "discount": "3.00",
        "shipping": "7.20",
        "tax": "2.99",
        "total": "44.21",
    }
    assert (order["subtotal"], order["discount_amount"], order["shipping_cost"], order["tax_amount"]) == (
        quote["subtotal"],
        quote["discount"],
        quote["shipping"],
        quote["tax"],
    )
    assert order["total_amount"] == quote["total"] and order["tax_rate"] == quote["tax_rate"] == "7.250"
    primary = customer.addresses.get(is_primary=True)
    assert quote["shipping_address_id"] == primary.pk
    assert order["shipping_address"] == {
        "name": primary.recipient_name,
        "line1": primary.street_address,
        "line2": primary.street_address_line2,
        "city": primary.city,
        "region": primary.state,
        "postal_code": primary.postal_code,
        "country": "US",
        "phone": primary.phone,
    }
    assert quote["items"] == [
        {
            "variant_id": variant.pk,
            "quantity": 3,
            "unit_price": "12.34",
            "total": "37.02",
            "discount": "3.00",
            "tax": "2.47",
        }
    ]


def test_a_chosen_address_changes_shipping_and_tax(api, customer, pricing):
    london = AddressFactory(user=customer, country="GB")
    variant = VariantFactory(price=Decimal("10.00"))
    body = {"items": [{"variant_id": variant.pk, "quantity": 1}], "shipping_address_id": london.pk}

    quote = api.post(QUOTE, body, format="json").json()
    order = api.post(ORDERS, body, format="json").json()

    assert (quote["shipping"], quote["tax"], quote["total"]) == ("14.90", "4.98", "29.88")
    assert order["total_amount"] == "29.88" and order["shipping_address"]["country"] == "GB"


def test_no_address_is_400_address_required_on_both(pricing):
    user = CustomerFactory(user__primary_address=False).user
    client = APIClient()
    client.force_authenticate(user)
    body = {"items": [{"variant_id": VariantFactory().pk, "quantity": 1}]}

    for url in (QUOTE, ORDERS):
        response = client.post(url, body, format="json")
        assert response.status_code == 400 and response.json()["code"] == "address_required", url
    assert not Order.objects.exists()


def test_another_customers_address_is_a_field_error_that_tells_nothing(api, customer, pricing):
    theirs = AddressFactory()
    variant = VariantFactory()

    answers = []
    for address_id in (theirs.pk, 10**9):
        for url in (QUOTE, ORDERS):
            body = {"items": [{"variant_id": variant.pk, "quantity": 1}], "shipping_address_id": address_id}
            response = api.post(url, body, format="json")
            assert response.status_code == 400, url
            answers.append(response.json())
    assert all(a == answers[0] for a in answers)
    assert answers[0]["code"] == "validation_error" and list(answers[0]["fields"]) == ["shipping_address_id"]
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"items": []},
        {"items": [{"variant_id": 1, "quantity": 1}], "shipping_address_id": "1"},
        {"items": [{"variant_id": 1, "quantity": 1}], "shipping_address_id": 0},
        {"items": [{"variant_id": 1, "quantity": 1}], "shipping_address_id": True},
        {"items": [{"variant_id": 1, "quantity": 1}], "shipping_cost": "0.00"},
        {"items": [{"variant_id": 1, "quantity": 1.5}]},
        {"items": [{"variant_id": 1, "quantity": 1}], "coupon_id": "x"},
    ],
)
def test_bad_quote_bodies_are_400_with_field_errors(api, body):
    response = api.post(QUOTE, body, format="json")

    assert response.status_code == 400 and response.json()["code"] == "validation_error"


def test_the_quote_needs_sign_in_and_a_sellable_variant(api, pricing):
    assert APIClient().post(QUOTE, {"items": [{"variant_id": 1, "quantity": 1}]}, format="json").status_code == 401
    response = api.post(QUOTE, {"items": [{"variant_id": 10**9, "quantity": 1}]}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "product_unavailable"


def test_a_used_coupon_is_refused_by_the_quote_as_by_the_order(api, customer, pricing):
    variant = VariantFactory(price=Decimal("30.00"))
    issued = coupon_claim(coupon_id=CouponFactory().pk, user=customer)
    body = {"items": [{"variant_id": variant.pk, "quantity": 1}], "coupon_id": issued.pk}
    assert api.post(ORDERS, body, format="json").status_code == 201

    response = api.post(QUOTE, body, format="json")

    assert response.status_code == 400 and response.json()["code"] == "coupon_not_usable"


def test_address_country_is_an_iso_code_in_any_case():
    user = CustomerFactory(user__primary_address=False).user
    client = APIClient()
    client.force_authenticate(user)
    address = {"recipient_name": "A", "street_address": "1 Road", "city": "Oslo", "postal_code": "0150"}

    made = client.post("/api/v1/me/addresses/", {**address, "country": "no", "phone": "+47 22 00 00 00"}, format="json")
    refused = [
        client.post("/api/v1/me/addresses/", {**address, "country": bad}, format="json")
        for bad in ("Norway", "XX", "NOR", "", 47)
    ]

    assert made.status_code == 201 and made.json()["country"] == "NO" and made.json()["phone"] == "+47 22 00 00 00"
    assert [r.status_code for r in refused] == [400] * 5
    assert all(list(r.json()["fields"]) == ["country"] for r in refused)
    bad_phone = client.patch(f"/api/v1/me/addresses/{made.json()['id']}/", {"phone": "call me"}, format="json")
    assert bad_phone.status_code == 400 and list(bad_phone.json()["fields"]) == ["phone"]
