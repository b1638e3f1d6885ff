"""Malformed bodies are a clear 4xx in the shop's error shape, never a 500 (issue 10 #3):
a body over DATA_UPLOAD_MAX_MEMORY_SIZE, JSON nested ~1,000 levels deep, a lone surrogate in a
value or in a field name an error message echoes back; on the API and on pages."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import UserPreferences
from orders.models import Order
from payments.models import WalletEntry
from tests.factories.accounts import CustomerFactory

pytestmark = pytest.mark.django_db

TOO_BIG = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1


@pytest.fixture
def customer():
    return CustomerFactory().user


@pytest.fixture
def api(customer):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(customer)
    return client


@pytest.fixture
def page(customer):
    client = Client(raise_request_exception=False)
    client.force_login(customer)
    return client


def assert_refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert body["code"] == code and isinstance(body["message"], str), body
    if status == 400:
        assert body["fields"] == {"non_field_errors": [body["message"]]}
    return body


# --- a body too big to read ----------------------------------------------------------------------


def test_an_api_body_over_the_limit_is_a_413(api):
    body = b'{"items": [], "notes": "' + b"a" * TOO_BIG + b'"}'

    response = api.post(reverse("orders_api:order-list"), body, content_type="application/json")

    assert_refused(response, 413, "request_too_large")
    assert not Order.objects.exists()


def test_an_api_body_over_the_limit_is_a_413_for_anonymous_callers_too():
    body = b'{"email": "' + b"a" * TOO_BIG + b'"}'

    response = APIClient(raise_request_exception=False).post(
        reverse("accounts_api:token"), body, content_type="application/json"
    )

    assert_refused(response, 413, "request_too_large")


def test_an_api_form_with_too_many_fields_is_refused_unread(api):
    # The API takes JSON only (issue 11: the wallet top-up no longer takes forms): a form is a 415.
    body = "&".join(f"f{n}=1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))

    response = api.post(reverse("payments_api:wallet_charge"), body, content_type="application/x-www-form-urlencoded")

    assert_refused(response, 415, "unsupported_media_type")
    assert not WalletEntry.objects.exists()


def test_a_page_post_over_the_limit_is_a_413_page(page):
    response = page.post(
        reverse("payments:wallet"), b"amount=" + b"1" * TOO_BIG, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 413
    assert "too much to send" in response.content.decode().lower()
    assert not WalletEntry.objects.exists()


def test_a_malformed_page_post_is_a_400_page(page):
    response = page.post(reverse("payments:wallet"), b"garbage", content_type="multipart/form-data; boundary=")

    assert response.status_code == 400
    assert "could not be read" in response.content.decode()


# --- nesting ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"[" * 1000 + b"]" * 1000, b'{"a":' * 1000 + b"1" + b"}" * 1000, b'{"items": ' + b"[" * 100_000],
    ids=["arrays", "objects", "unclosed"],
)
def test_json_nested_a_thousand_levels_deep_is_a_400(api, body):
    response = api.post(reverse("orders_api:order-list"), body, content_type="application/json")

    assert_refused(response, 400, "parse_error")


def test_json_nested_a_little_deeper_than_any_input_is_a_400(api):
    body = b'{"items": [{"variant_id": ' + b"[" * 40 + b"]" * 40 + b"}]}"

    response = api.post(reverse("orders_api:order-list"), body, content_type="application/json")

    assert_refused(response, 400, "parse_error")


def test_the_wallet_top_up_parser_refuses_deep_nesting_too(api):
    response = api.post(
        reverse("payments_api:wallet_charge"),
        b'{"amount": ' + b"[" * 1000 + b"]" * 1000 + b"}",
        content_type="application/json",
    )

    assert_refused(response, 400, "parse_error")


# --- lone surrogates ----------------------------------------------------------------------------


def test_a_lone_surrogate_in_a_value_is_a_400(api, customer):
    response = api.patch(reverse("accounts_api:preferences"), b'{"theme": "\\ud800"}', content_type="application/json")

    body = assert_refused(response, 400, "parse_error")
    assert "\\ud800" in body["message"] and "\ud800" not in body["message"]
    assert not UserPreferences.objects.filter(user=customer).exclude(theme="system").exists()


def test_a_lone_surrogate_as_a_field_name_is_a_400(api):
    response = api.post(
        reverse("orders_api:order-list"), b'{"\\udfff": 1, "items": []}', content_type="application/json"
    )

    assert_refused(response, 400, "parse_error")


@pytest.mark.parametrize("text", [b'"\\ud800"', b'"a\\udc00b"', b'["\\ud83d"]', b'{"x": {"\\ud800": 1}}'])
def test_a_lone_surrogate_anywhere_in_the_body_is_a_400(api, text):
    response = api.patch(
        reverse("accounts_api:preferences"), b'{"theme": ' + text + b"}", content_type="application/json"
    )

    assert_refused(response, 400, "parse_error")


def test_a_surrogate_pair_is_a_character_and_is_read(api):
    # U+1F600 written as its UTF-16 pair: valid JSON for one character, not a lone surrogate.
    response = api.patch(
        reverse("accounts_api:preferences"), b'{"theme": "\\ud83d\\ude00"}', content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error" and "theme" in response.json()["fields"]


def test_a_wallet_top_up_with_a_lone_surrogate_is_a_400(api):
    response = api.post(
        reverse("payments_api:wallet_charge"), b'{"amount": "\\ud800"}', content_type="application/json"
    )

    assert_refused(response, 400, "parse_error")
