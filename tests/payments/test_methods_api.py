"""The saved payment methods API: `payment-methods/`, `payment-methods/{id}/`, `.../default/`."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from payments.models import PaymentMethod, PaymentMethodStatus

from .saved_cards import MASTERCARD, VISA, card_token, expired_card_token, saved_card

pytestmark = pytest.mark.django_db

LIST = "/api/v1/payment-methods/"


def _one(pk: int) -> str:
    return f"{LIST}{pk}/"


def test_url_names():
    assert reverse("payments_api:payment_methods") == LIST
    assert reverse("payments_api:payment_method", args=[3]) == _one(3)
    assert reverse("payments_api:payment_method_default", args=[3]) == f"{LIST}3/default/"


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", LIST), ("post", LIST), ("get", _one(1)), ("delete", _one(1)), ("post", _one(1) + "default/")],
)
def test_every_endpoint_needs_authentication(method, url):
    response = getattr(APIClient(), method)(url, {"token": "x"}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_save_a_card_from_a_token(api, user):
    token = card_token(VISA, exp_month=3)
    response = api.post(
        LIST,
        {"token": token, "billing_name": "Ada Lovelace", "billing_country": "gb", "billing_postal_code": "N1 9GU"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    method = PaymentMethod.objects.get(user=user)
    assert body == {
        "id": method.pk,
        "method_type": "card",
        "brand": "Visa",
        "last4": "4242",
        "exp_month": 3,
        "exp_year": method.exp_year,
        "billing_name": "Ada Lovelace",
        "billing_line1": "",
        "billing_line2": "",
        "billing_city": "",
        "billing_region": "",
        "billing_postal_code": "N1 9GU",
        "billing_country": "GB",
        "is_default": True,
        "is_expired": False,
        "created_at": body["created_at"],
    }
    assert "token" not in body  # the gateway's token is not handed back either


def test_a_second_card_asks_to_be_the_default(api, user):
    first = saved_card(user)
    response = api.post(LIST, {"token": card_token(MASTERCARD), "is_default": True}, format="json")
    assert response.status_code == 201 and response.json()["is_default"] is True
    first.refresh_from_db()
    assert not first.is_default


def test_the_same_token_twice_is_a_409(api, user):
    token = card_token()
    assert api.post(LIST, {"token": token}, format="json").status_code == 201
    response = api.post(LIST, {"token": token}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "card_token_used"
    assert PaymentMethod.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "token"),
        ({"token": ""}, "token"),
        ({"token": 12}, "token"),
        ({"token": "t" * 129}, "token"),
        ({"token": "tok", "billing_country": "XX"}, "billing_country"),
        ({"token": "tok", "billing_postal_code": "1" * 21}, "billing_postal_code"),
        ({"token": "tok", "is_default": "yes"}, "is_default"),
    ],
)
def test_bad_input_is_a_400_with_field_errors(api, body, field):
    response = api.post(LIST, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["fields"]
    assert not PaymentMethod.objects.exists()


@pytest.mark.parametrize(
    ("token", "code"),
    [("tok_not_a_card", "card_token_invalid"), (VISA, "card_token_invalid"), ("expired", "card_expired")],
)
def test_a_token_that_is_no_usable_card_is_a_400(api, token, code):
    token = expired_card_token() if token == "expired" else token
    response = api.post(LIST, {"token": token}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not PaymentMethod.objects.exists()


def test_list_shows_own_saved_cards_default_first(api, user, other_user):
    saved_card(other_user, MASTERCARD)
    default = saved_card(user, VISA)
    removed = saved_card(user, MASTERCARD)
    PaymentMethod.objects.filter(pk=removed.pk).update(status=PaymentMethodStatus.INACTIVE)
    expired = saved_card(user, MASTERCARD)
    PaymentMethod.objects.filter(pk=expired.pk).update(exp_year=2001)

    body = api.get(LIST).json()

    assert [(m["id"], m["is_default"], m["is_expired"]) for m in body["results"]] == [
        (default.pk, True, False),
        (expired.pk, False, True),
    ]


def _list_queries(api) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api.get(LIST).status_code == 200
    return len(queries)


def test_list_queries_do_not_grow_with_cards(api, user):
    saved_card(user)
    api.get(LIST)
    before = _list_queries(api)
    for _ in range(5):
        saved_card(user, MASTERCARD)
    assert _list_queries(api) == before


def test_get_one_delete_and_make_default(api, user):
    first = saved_card(user, VISA)
    second = saved_card(user, MASTERCARD)

    assert api.get(_one(second.pk)).json()["last4"] == "4444"

    response = api.post(_one(second.pk) + "default/")
    assert response.status_code == 200 and response.json()["is_default"] is True

    response = api.delete(_one(second.pk))
    assert response.status_code == 204
    first.refresh_from_db()
    assert first.is_default  # the default passed on
    assert api.get(_one(second.pk)).status_code == 404
    assert api.delete(_one(second.pk)).status_code == 404


def test_an_expired_card_cannot_be_made_default(api, user):
    saved_card(user)
    old = saved_card(user, MASTERCARD)
    PaymentMethod.objects.filter(pk=old.pk).update(exp_year=2001)
    response = api.post(_one(old.pk) + "default/")
    assert response.status_code == 400 and response.json()["code"] == "card_expired"


@pytest.mark.parametrize("action", ["get", "delete", "default"])
def test_another_customers_card_is_a_404_and_stays(api, other_user, action):
    theirs = saved_card(other_user)
    url = _one(theirs.pk) + ("default/" if action == "default" else "")
    response = getattr(api, "post" if action == "default" else action)(url)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert "4242" not in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.status == PaymentMethodStatus.ACTIVE and theirs.is_default


def test_no_answer_holds_the_token(api, user):
    token = card_token()
    created = api.post(LIST, {"token": token}, format="json")
    for response in (created, api.get(LIST), api.get(_one(created.json()["id"]))):
        assert token not in json.dumps(response.json())


def test_a_card_number_typed_into_a_billing_field_is_refused(api, user):
    response = api.post(LIST, {"token": card_token(), "billing_name": "4242 4242 4242 4242"}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {"billing_name": ["Do not type a card number here."]}
    assert not PaymentMethod.objects.exists()


def test_the_schema_documents_the_endpoints(api):
    schema = APIClient().get("/api/schema/?format=json").json()
    assert {"/api/v1/payment-methods/", "/api/v1/payment-methods/{method_id}/"} <= set(schema["paths"])
    assert "post" in schema["paths"]["/api/v1/payment-methods/{method_id}/default/"]
