"""Every free-text field has a documented maximum (issue 10 #10): the model refuses longer text,
the page forms and the API take the same limit, and the API schema shows it (`maxLength`).
A 1,000,000-character bio was once stored."""

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import BIO_MAX_LENGTH, UserProfile
from tests.factories.accounts import CustomerFactory

pytestmark = pytest.mark.django_db

OUR_APPS = ("accounts", "catalog", "inventory", "promotions", "carts", "payments", "orders", "common")


def test_every_text_column_of_the_shop_has_a_maximum_the_model_enforces():
    unbounded = []
    for model in apps.get_models():
        if model._meta.app_label not in OUR_APPS:
            continue
        for field in model._meta.get_fields():
            if isinstance(field, models.TextField) and not any(
                getattr(validator, "limit_value", None) == field.max_length for validator in field.validators
            ):
                unbounded.append(f"{model.__name__}.{field.name}")
            elif isinstance(field, models.TextField):
                assert str(f"{field.max_length:,}") in str(field.help_text), f"{model.__name__}.{field.name}"
    assert unbounded == []


def test_the_model_refuses_a_bio_over_the_maximum():
    profile = UserProfile(user=CustomerFactory().user, bio="a" * (BIO_MAX_LENGTH + 1))

    with pytest.raises(ValidationError) as caught:
        profile.full_clean()
    assert "bio" in caught.value.message_dict


@pytest.fixture
def customer_api():
    user = CustomerFactory().user
    client = APIClient()
    client.force_authenticate(user)
    return client, user


def test_the_api_refuses_a_million_character_bio(customer_api):
    client, user = customer_api

    response = client.patch(reverse("accounts_api:me"), {"bio": "a" * 1_000_000}, format="json")

    assert response.status_code == 400 and "bio" in response.json()["fields"]
    assert not UserProfile.objects.filter(user=user).exclude(bio="").exists()


def test_the_api_takes_a_bio_at_the_maximum(customer_api):
    client, user = customer_api

    response = client.patch(reverse("accounts_api:me"), {"bio": "a" * BIO_MAX_LENGTH}, format="json")

    assert response.status_code == 200, response.content[:300]
    assert len(UserProfile.objects.get(user=user).bio) == BIO_MAX_LENGTH


def test_the_profile_page_refuses_a_bio_over_the_maximum(client):
    user = CustomerFactory().user
    client.force_login(user)

    response = client.post(reverse("accounts:profile"), {"first_name": "Ada", "bio": "a" * (BIO_MAX_LENGTH + 1)})

    assert response.status_code == 200 and f"at most {BIO_MAX_LENGTH}" in response.content.decode()
    assert not UserProfile.objects.filter(user=user).exclude(bio="").exists()


def test_the_schema_shows_the_bio_maximum():
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]

    bios = [c["properties"]["bio"] for c in schema.values() if "bio" in c.get("properties", {})]
    assert bios and all(bio.get("maxLength") == BIO_MAX_LENGTH for bio in bios if not bio.get("readOnly")), bios
    described = [name for name, c in schema.items() for p in c.get("properties", {}).values() if "description" in p]
    assert described
    product = schema["ProductDetail"]["properties"]["description"]
    assert "10,000" in product.get("description", ""), product
