"""Every refusal DRF or simplejwt makes has the API's one error shape: `code` and `message`, both
strings (and `fields` on a 400), one test per status a client can get."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories.accounts import CustomerFactory

pytestmark = pytest.mark.django_db


def assert_error_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) <= {"code", "message", "fields", "extra"}, body
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"], body
    return body


@pytest.fixture
def customer():
    return CustomerFactory().user


def test_401_without_credentials():
    response = APIClient().get(reverse("accounts_api:me"))

    assert_error_shape(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("token", ["not.a.token", "Zm9v", "eyJhbGciOiJIUzI1NiJ9.e30.AAAA"])
def test_401_with_a_bad_token_says_token_not_valid(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    body = assert_error_shape(client.get(reverse("accounts_api:me")), 401, "token_not_valid")
    assert "messages" not in body and "token_class" not in str(body)


def test_401_with_an_expired_token_says_token_not_valid(customer):
    token = AccessToken.for_user(customer)
    token.set_exp(lifetime=-timedelta(seconds=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    assert_error_shape(client.get(reverse("accounts_api:me")), 401, "token_not_valid")


def test_401_for_a_token_of_a_user_that_is_gone(customer):
    token = str(AccessToken.for_user(customer))
    customer.delete()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    body = assert_error_shape(client.get(reverse("accounts_api:me")), 401, "user_not_found")
    assert body["message"]


def test_403_a_signed_in_browser_without_its_csrf_token(customer):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(customer)

    response = client.patch(reverse("accounts_api:preferences"), {"theme": "dark"}, format="json")

    assert_error_shape(response, 403, "permission_denied")


def test_404_an_object_that_is_not_there(customer):
    client = APIClient()
    client.force_authenticate(customer)

    assert_error_shape(client.get(reverse("orders_api:order-detail", kwargs={"pk": 999999999})), 404, "not_found")


def test_404_a_path_no_route_matches():
    assert_error_shape(APIClient().get("/api/v1/no-such-thing/"), 404, "not_found")


def test_405_a_method_the_endpoint_does_not_take(customer):
    client = APIClient()
    client.force_authenticate(customer)

    assert_error_shape(client.put(reverse("accounts_api:sessions"), {}, format="json"), 405, "method_not_allowed")


def test_415_a_body_that_is_not_json(customer):
    client = APIClient()
    client.force_authenticate(customer)

    response = client.patch(reverse("accounts_api:preferences"), "theme=dark", content_type="text/plain")

    assert_error_shape(response, 415, "unsupported_media_type")


def test_400_a_body_that_is_not_valid_json(customer):
    client = APIClient()
    client.force_authenticate(customer)

    response = client.patch(reverse("accounts_api:preferences"), "{", content_type="application/json")

    body = assert_error_shape(response, 400, "parse_error")
    assert body["fields"] == {"non_field_errors": [body["message"]]}


def test_429_keeps_retry_after():
    client = APIClient()
    rate = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["register"].split("/")[0])
    for n in range(rate):
        client.post(reverse("accounts_api:register"), {"email": f"bad{n}"}, format="json")

    response = client.post(reverse("accounts_api:register"), {"email": "late"}, format="json")

    assert_error_shape(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
