"""Addresses' country is an ISO 3166 code: the migration from free text, and the page form."""

import importlib

import pytest
from django.urls import reverse

from accounts.models import Address
from tests.factories.accounts import CustomerFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("accounts.migrations.0006_address_phone_country_codes")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("United States", "US"),
        ("united kingdom", "GB"),
        ("  UK ", "GB"),
        ("USA", "US"),
        ("us", "US"),
        ("DEU", "DE"),
        ("Deutschland", "DE"),
        ("France", "FR"),
        ("Narnia", ""),
        ("X", ""),
        ("", ""),
    ],
)
def test_the_migration_maps_old_text_to_a_code_or_leaves_it_empty(text, code):
    assert migration.country_code(text) == code


def test_the_address_page_offers_countries_and_stores_the_code(client):
    user = CustomerFactory(user__primary_address=False).user
    client.force_login(user)
    form = {
        "address_type": "home",
        "recipient_name": "Ada",
        "street_address": "1 Row",
        "city": "Paris",
        "postal_code": "75001",
        "phone": "+33 1 23 45 67 89",
    }

    page = client.get(reverse("accounts:address_add")).content.decode()
    refused = client.post(reverse("accounts:address_add"), {**form, "country": "France"})
    added = client.post(reverse("accounts:address_add"), {**form, "country": "FR"})

    assert '<option value="FR">France</option>' in page
    assert refused.status_code == 200 and not Address.objects.filter(user=user, city="Paris", country="France")
    assert added.status_code == 302
    address = Address.objects.get(user=user)
    assert (str(address.country), address.country.name, address.phone) == ("FR", "France", "+33 1 23 45 67 89")
