"""GET /api/v1/payments/{id}/ and the sandbox's token API."""

import pytest

from payments.gateways.sandbox import sandbox_card_of
from payments.services.card import card_payment_run
from tests.factories.accounts import UserFactory

from .cards import DECLINED, OK, RETURN_URL, card_payment, far_future_year

pytestmark = pytest.mark.django_db


def test_a_customer_sees_their_payment(api, user):
    payment = card_payment_run(payment_id=card_payment(user, amount="12.30").pk, return_url=RETURN_URL)
    body = api.get(f"/api/v1/payments/{payment.pk}/").json()
    assert body["status"] == "captured" and body["amount"] == "12.30" and body["captured_amount"] == "12.30"
    assert body["payment_method"] == {"brand": "Visa", "last4": "4242"}
    assert [t["transaction_type"] for t in body["transactions"]] == ["authorization", "capture"]
    assert OK not in str(body) and payment.payment_method.token not in str(body)


def test_a_declined_payment_says_why(api, user):
    payment = card_payment_run(payment_id=card_payment(user, DECLINED).pk, return_url=RETURN_URL)
    body = api.get(f"/api/v1/payments/{payment.pk}/").json()
    assert (body["status"], body["failure_code"], body["failure_message"]) == (
        "failed",
        "card_declined",
        "Your card was declined.",
    )


def test_another_customers_payment_is_a_404(api):
    payment = card_payment(UserFactory())
    response = api.get(f"/api/v1/payments/{payment.pk}/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert api.get("/api/v1/payments/999999/").status_code == 404


def test_a_payment_needs_a_signed_in_customer(api_client, user):
    payment = card_payment(user)
    assert api_client.get(f"/api/v1/payments/{payment.pk}/").status_code in (401, 403)


def test_the_token_api_turns_a_test_card_into_a_token(api):
    response = api.post(
        "/api/v1/sandbox/tokens/",
        {"number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": far_future_year(), "cvc": "123"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["brand"], body["last4"], body["exp_month"]) == ("Visa", "4242", 12)
    assert sandbox_card_of(body["token"]).last4 == "4242"
    assert "number" not in body and "cvc" not in body and OK not in response.content.decode()


@pytest.mark.parametrize(
    ("card", "field"),
    [
        ({"number": "4242424242424241"}, "number"),
        ({"cvc": "12"}, "cvc"),
        ({"exp_month": 13}, "exp_month"),
        ({"exp_year": 2001}, "exp_year"),
    ],
)
def test_the_token_api_refuses_a_bad_card_without_echoing_it(api, card, field):
    data = {"number": OK, "exp_month": 12, "exp_year": far_future_year(), "cvc": "123", **card}
    response = api.post("/api/v1/sandbox/tokens/", data, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error" and field in body["fields"]
    assert "4242424242424241" not in response.content.decode() and OK not in response.content.decode()
