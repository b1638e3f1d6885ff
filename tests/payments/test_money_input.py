"""One rule for a typed amount, on the wallet page and the API alike (issue 10 #4): ASCII digits,
an optional point and one or two decimals. `1e3` once topped up 1,000.00 on the page and `١٢`
(Arabic-Indic twelve) 12.00, while the API refused both."""

from decimal import Decimal

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from common.money import MoneyInputError, money_input
from payments.models import WalletEntry

pytestmark = pytest.mark.django_db

TYPED_BUT_NOT_AN_AMOUNT = [
    "1e3",
    "1E-2",
    "١٢",  # Arabic-Indic digits
    "۱۲",  # Extended Arabic-Indic digits
    "\uff11\uff12",  # full-width digits
    "+5",
    ".5",
    "5.",
    "007",
    "1_000",
    "1,000",
    "0x10",
    "NaN",
    "Infinity",
    "12.5\u00a0",
]


@pytest.mark.parametrize("text", TYPED_BUT_NOT_AN_AMOUNT)
def test_the_rule_refuses_text_that_is_not_written_as_an_amount(text):
    with pytest.raises(MoneyInputError) as caught:
        money_input(text, maximum=Decimal("10000.00"))
    assert str(caught.value.message) == "Enter an amount such as 25.00."


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("25", "25.00"), ("12.5", "12.50"), ("0.01", "0.01"), ("10000.00", "10000.00"), (7, "7.00")],
)
def test_the_rule_takes_plain_amounts(raw, expected):
    assert money_input(raw, maximum=Decimal("10000.00")) == Decimal(expected)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("0", "The amount must be more than zero."),
        ("-5", "The amount must be more than zero."),
        ("1.005", "Use at most two decimal places."),
        ("10000.01", "One top-up can add at most 10000.00."),
        (Decimal("1E+40"), "One top-up can add at most 10000.00."),
        (True, "Enter an amount such as 25.00."),
        (None, "Enter an amount such as 25.00."),
        (1.5, "Enter an amount such as 25.00."),
    ],
)
def test_the_rule_says_what_is_wrong(raw, message):
    with pytest.raises(MoneyInputError) as caught:
        money_input(raw, maximum=Decimal("10000.00"))
    assert str(caught.value.message) == message


@pytest.mark.parametrize("text", TYPED_BUT_NOT_AN_AMOUNT)
def test_the_wallet_page_refuses_what_the_api_refuses(signed_in, text):
    page = signed_in.post("/wallet/", {"amount": text})
    api = APIClient()
    api.force_authenticate(_user_of(signed_in))
    answer = api.post("/api/v1/wallet/charge/", {"amount": text}, format="json")

    assert page.status_code == 200 and "Enter an amount such as 25.00." in page.content.decode()
    assert answer.status_code == 400 and answer.json()["fields"] == {"amount": ["Enter an amount such as 25.00."]}
    assert not WalletEntry.objects.exists()


@pytest.mark.parametrize("text", ["25", "12.50", "0.01"])
def test_the_wallet_page_and_the_api_take_the_same_amounts(signed_in, text):
    api = APIClient()
    api.force_authenticate(_user_of(signed_in))

    page = signed_in.post("/wallet/", {"amount": text})
    answer = api.post("/api/v1/wallet/charge/", {"amount": text}, format="json")

    assert page.status_code == 302 and answer.status_code == 201
    assert [entry.amount for entry in WalletEntry.objects.order_by("pk")] == [Decimal(text)] * 2


@override_settings(WALLET_MAX_CHARGE=Decimal("100.00"))
def test_the_page_keeps_the_configured_maximum(signed_in):
    response = signed_in.post("/wallet/", {"amount": "100.01"})

    assert "One top-up can add at most 100.00." in response.content.decode()
    assert not WalletEntry.objects.exists()


def _user_of(client):
    from django.contrib.auth import get_user

    return get_user(client)
