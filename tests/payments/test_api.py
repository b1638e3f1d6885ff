from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from payments.models import EntryType, WalletEntry
from payments.services import wallet_charge, wallet_debit

from .helpers import balance_of, ledger_sum, order_for

pytestmark = pytest.mark.django_db

WALLET = "/api/v1/wallet/"
CHARGE = "/api/v1/wallet/charge/"
ENTRIES = "/api/v1/wallet/entries/"


def test_url_names():
    assert reverse("payments_api:wallet") == WALLET
    assert reverse("payments_api:wallet_charge") == CHARGE
    assert reverse("payments_api:wallet_entries") == ENTRIES


@pytest.mark.parametrize(("method", "url"), [("get", WALLET), ("post", CHARGE), ("get", ENTRIES)])
def test_every_endpoint_needs_authentication(method, url):
    response = getattr(APIClient(), method)(url, {"amount": "1.00"}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert not WalletEntry.objects.exists()


def test_wallet_of_a_new_customer_is_zero(api):
    response = api.get(WALLET)
    assert response.status_code == 200
    assert response.json() == {"balance": "0.00", "currency": "USD"}


def test_wallet_balance_is_a_decimal_string(api, user):
    wallet_charge(user=user, amount="12.5")
    assert api.get(WALLET).json() == {"balance": "12.50", "currency": "USD"}


def test_wallet_with_a_jwt(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    wallet_charge(user=user, amount="3.00")
    assert client.get(WALLET).json()["balance"] == "3.00"
    response = client.post(CHARGE, {"amount": "2.00"}, format="json")
    assert response.status_code == 201 and response.json()["balance"] == "5.00"


@pytest.mark.parametrize("amount", ["12.50", 12.5, "12.5", 12])
def test_charge_accepts_a_string_or_a_number(api, user, amount):
    response = api.post(CHARGE, {"amount": amount}, format="json")

    assert response.status_code == 201
    body = response.json()
    expected = "12.00" if amount == 12 else "12.50"
    assert body["balance"] == expected and body["currency"] == "USD"
    entry = body["entry"]
    assert entry["entry_type"] == "charge"
    assert entry["amount"] == expected and entry["signed_amount"] == expected and entry["balance_after"] == expected
    assert entry["order_number"] is None
    assert WalletEntry.objects.get().pk == entry["id"]
    assert balance_of(user) == Decimal(expected) == ledger_sum(user)


def test_charge_reads_a_json_number_as_a_decimal_not_a_float(api, user):
    # 0.1 + 0.2 style: as a float 1.1 would be 1.100000000000000088817841970012523...
    response = api.post(CHARGE, data='{"amount": 1.10}', content_type="application/json")
    assert response.status_code == 201
    assert response.json()["balance"] == "1.10"
    response = api.post(CHARGE, data='{"amount": 1.105}', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["fields"] == {"amount": ["Use at most two decimal places."]}


def test_charge_as_a_form_post(api):
    response = api.post(CHARGE, {"amount": "7.25"})  # multipart
    assert response.status_code == 201 and response.json()["balance"] == "7.25"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "The amount must be more than zero."),
        (-5, "The amount must be more than zero."),
        ("1.999", "Use at most two decimal places."),
        ("lots", "Enter an amount such as 25.00."),
        (True, "Enter an amount such as 25.00."),
        ([1], "Enter an amount such as 25.00."),
        (None, "This field may not be null."),
        ("10000.01", "One top-up can add at most 10000.00."),
    ],
)
def test_bad_amount_is_a_400_validation_error_and_writes_nothing(api, amount, message):
    response = api.post(CHARGE, {"amount": amount}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["fields"] == {"amount": [message]}
    assert not WalletEntry.objects.exists()


def test_missing_amount_and_bad_json(api):
    response = api.post(CHARGE, {}, format="json")
    assert response.status_code == 400 and response.json()["fields"] == {"amount": ["This field is required."]}
    response = api.post(CHARGE, data="{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"
    response = api.post(CHARGE, data='{"amount": NaN}', content_type="application/json")
    assert response.status_code == 400
    assert not WalletEntry.objects.exists()


@override_settings(WALLET_MAX_CHARGE=Decimal("100.00"))
def test_maximum_comes_from_the_settings(api):
    response = api.post(CHARGE, {"amount": "100.01"}, format="json")
    assert response.json()["fields"] == {"amount": ["One top-up can add at most 100.00."]}
    assert api.post(CHARGE, {"amount": "100.00"}, format="json").status_code == 201


def test_entries_are_paginated_newest_first_with_signs_and_order_numbers(api, user):
    wallet_charge(user=user, amount="50.00", reference="card")
    order = order_for(user, "20.00")
    order.order_number = "OM-2026-00001"
    order.save(update_fields=["order_number"])
    wallet_debit(user=user, amount=Decimal("20.00"), order_id=order.pk, reference="order")

    body = api.get(ENTRIES).json()

    assert body["count"] == 2 and body["next"] is None
    use, charge = body["results"]
    assert use["entry_type"] == EntryType.USE and use["amount"] == "20.00" and use["signed_amount"] == "-20.00"
    assert use["balance_after"] == "30.00" and use["order_number"] == "OM-2026-00001"
    assert charge["reference"] == "card" and charge["signed_amount"] == "50.00"


def test_entries_page_size(api, user):
    for _ in range(3):
        wallet_charge(user=user, amount="1.00")
    body = api.get(ENTRIES, {"page_size": 2}).json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]


def test_another_users_wallet_is_never_shown(api, other_user):
    wallet_charge(user=other_user, amount="99.00")
    assert api.get(WALLET).json()["balance"] == "0.00"
    assert api.get(ENTRIES).json()["count"] == 0


def test_session_post_needs_csrf(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(CHARGE, {"amount": "1.00"}, format="json")
    assert response.status_code == 403
    assert not WalletEntry.objects.exists()


def test_charge_with_an_idempotency_key_replays_instead_of_charging_twice(api, user):
    first = api.post(CHARGE, {"amount": "15.00"}, format="json", HTTP_IDEMPOTENCY_KEY="topup-1")
    again = api.post(CHARGE, {"amount": "15.00"}, format="json", HTTP_IDEMPOTENCY_KEY="topup-1")

    assert first.status_code == 201 and "Idempotent-Replayed" not in first
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert balance_of(user) == Decimal("15.00") == ledger_sum(user)


def test_same_idempotency_key_with_another_amount_is_422(api, user):
    api.post(CHARGE, {"amount": "15.00"}, format="json", HTTP_IDEMPOTENCY_KEY="topup-1")
    response = api.post(CHARGE, {"amount": "16.00"}, format="json", HTTP_IDEMPOTENCY_KEY="topup-1")
    assert response.status_code == 422 and response.json()["code"] == "idempotency_key_reused"
    assert balance_of(user) == Decimal("15.00")


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "ключ"])
def test_bad_idempotency_key_is_400(api, key):
    response = api.post(CHARGE, {"amount": "1.00"}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["fields"]
    assert not WalletEntry.objects.exists()
