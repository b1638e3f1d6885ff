"""`POST /api/v1/wallet/charge/` with `payment_method_id`: a paid top-up; without it, the free
top-up only while settings.WALLET_FREE_TOPUP is on."""

from decimal import Decimal

import pytest
from django.test import override_settings

from payments.models import Payment, PaymentMethod, WalletEntry

from .cards import DECLINED, THREE_DS
from .helpers import balance_of, ledger_sum
from .saved_cards import VISA, saved_card

pytestmark = pytest.mark.django_db

CHARGE = "/api/v1/wallet/charge/"


def test_a_paid_top_up_is_201_with_the_payment_the_entry_and_the_balance(api, user):
    card = saved_card(user)

    response = api.post(CHARGE, {"amount": "25.00", "payment_method_id": card.pk}, format="json")

    assert response.status_code == 201
    body = response.json()
    payment = Payment.objects.get()
    assert body["balance"] == "25.00" and body["currency"] == "USD"
    assert body["entry"]["amount"] == "25.00" and body["entry"]["entry_type"] == "charge"
    assert body["payment"]["id"] == payment.pk
    assert (body["payment"]["status"], body["payment"]["purpose"]) == ("captured", "wallet_topup")
    assert body["payment"]["payment_method"] == {"brand": "Visa", "last4": "4242"}
    assert VISA not in response.content.decode() and card.token not in response.content.decode()
    assert balance_of(user) == Decimal("25.00") == ledger_sum(user)


def test_a_free_top_up_says_it_had_no_payment(api):
    body = api.post(CHARGE, {"amount": "5.00"}, format="json").json()
    assert body["payment"] is None and body["entry"]["amount"] == "5.00"


def test_the_same_key_again_is_a_200_replay_and_credits_once(api, user):
    card = saved_card(user)
    first = api.post(CHARGE, {"amount": "9.00", "payment_method_id": card.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    again = api.post(CHARGE, {"amount": "9.00", "payment_method_id": card.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k")

    assert first.status_code == 201 and again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Payment.objects.count() == 1 and balance_of(user) == Decimal("9.00")

    other = api.post(CHARGE, {"amount": "8.00", "payment_method_id": card.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"


def test_a_declined_card_is_a_402_with_the_reason_and_credits_nothing(api, user):
    card = saved_card(user, DECLINED)
    response = api.post(CHARGE, {"amount": "9.00", "payment_method_id": card.pk}, format="json")

    assert response.status_code == 402
    body = response.json()
    assert body["code"] == "card_declined" and body["message"] == "Your card was declined."
    assert body["extra"]["payment_id"] == Payment.objects.get().pk
    assert not WalletEntry.objects.exists()


def test_a_card_needing_the_banks_confirmation_is_a_202_with_where_to_confirm(api, user):
    card = saved_card(user, THREE_DS)
    response = api.post(CHARGE, {"amount": "9.00", "payment_method_id": card.pk}, format="json")

    assert response.status_code == 202
    body = response.json()
    assert body["entry"] is None and body["balance"] == "0.00"
    assert body["payment"]["status"] == "action_required"
    assert body["payment"]["action_url"].startswith("/sandbox-gateway/confirm/")
    assert not WalletEntry.objects.exists()


def test_another_customers_card_is_a_404(api, other_user):
    theirs = saved_card(other_user)
    response = api.post(CHARGE, {"amount": "9.00", "payment_method_id": theirs.pk}, format="json")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert not Payment.objects.exists()


def test_an_expired_card_is_a_400(api, user):
    card = saved_card(user)
    PaymentMethod.objects.filter(pk=card.pk).update(exp_year=2001)
    response = api.post(CHARGE, {"amount": "9.00", "payment_method_id": card.pk}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "card_expired"


@pytest.mark.parametrize("method_id", ["abc", 0, -3, 1.5, True, [1]])
def test_a_payment_method_id_that_is_no_id_is_a_400(api, method_id):
    response = api.post(CHARGE, {"amount": "9.00", "payment_method_id": method_id}, format="json")
    assert response.status_code == 400
    assert "payment_method_id" in response.json()["fields"]
    assert not Payment.objects.exists() and not WalletEntry.objects.exists()


@override_settings(WALLET_FREE_TOPUP=False)
def test_without_free_top_ups_a_payment_method_is_required(api, user):
    response = api.post(CHARGE, {"amount": "9.00"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "payment_method_required"
    assert not WalletEntry.objects.exists()
    # A paid one still works.
    paid = api.post(CHARGE, {"amount": "9.00", "payment_method_id": saved_card(user).pk}, format="json")
    assert paid.status_code == 201 and balance_of(user) == Decimal("9.00")


def test_the_schema_documents_the_paid_top_up(api):
    schema = api.get("/api/schema/?format=json").json()
    charge = schema["paths"]["/api/v1/wallet/charge/"]["post"]
    assert {"201", "202", "402", "404"} <= set(charge["responses"])
    request = schema["components"]["schemas"]["WalletChargeRequest"]
    assert request["properties"]["payment_method_id"]["type"] == "integer"
