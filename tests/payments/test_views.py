from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import override_settings
from django.urls import reverse

from payments.models import EntryType, WalletEntry
from payments.services import wallet_charge, wallet_debit

from .helpers import balance_of, ledger_sum, order_for

pytestmark = pytest.mark.django_db

URL = "/wallet/"


def test_url_name():
    assert reverse("payments:wallet") == URL


def test_wallet_needs_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    response = client.post(URL, {"amount": "10.00"})
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert not WalletEntry.objects.exists()


def test_empty_wallet_page(signed_in, user):
    response = signed_in.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>0.00</strong>" in html
    assert "No top-ups or payments yet." in html
    assert 'name="amount"' in html
    assert "<label>\n" in html  # the input is labelled by nesting (no id for htmx to settle)
    assert "style=" not in html
    assert "<script>" not in html and "unsafe-inline" not in response["Content-Security-Policy"]


def test_ledger_shows_signed_amounts_balance_after_and_order_number(signed_in, user):
    wallet_charge(user=user, amount="50.00", reference="Card top-up")
    order = order_for(user, "20.00")
    order.order_number = "OM-2026-00042"
    order.save(update_fields=["order_number"])
    wallet_debit(user=user, amount=Decimal("20.00"), order_id=order.pk, reference="order")

    html = signed_in.get(URL).content.decode()

    assert "<strong>30.00</strong>" in html
    assert "+50.00" in html and "-20.00" in html
    assert "Order OM-2026-00042" in html
    assert "Card top-up" in html
    assert html.index("-20.00") < html.index("+50.00")  # newest first


def test_ledger_is_paginated(signed_in, user):
    for _ in range(25):
        wallet_charge(user=user, amount="1.00")
    first = signed_in.get(URL).content.decode()
    second = signed_in.get(URL + "?page=2").content.decode()
    assert "Page 1 of 2" in first and 'rel="next"' in first
    assert first.count("+1.00") == 20
    assert second.count("+1.00") == 5
    assert signed_in.get(URL + "?page=99").status_code == 200  # the last page, not an error


def test_another_users_ledger_is_never_shown(signed_in, user, other_user):
    wallet_charge(user=other_user, amount="77.77", reference="theirs")
    html = signed_in.get(URL).content.decode()
    assert "77.77" not in html and "theirs" not in html


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_top_up_adds_money_with_a_message_and_redirects(signed_in, user):
    response = signed_in.post(URL, {"amount": "12.50"})

    assert response.status_code == 302 and response["Location"] == URL
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["12.50 USD added to your wallet."]
    entry = WalletEntry.objects.get()
    assert (entry.entry_type, entry.amount) == (EntryType.CHARGE, Decimal("12.50"))
    assert balance_of(user) == Decimal("12.50") == ledger_sum(user)


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("0", "The amount must be more than zero."),
        ("-5", "The amount must be more than zero."),
        ("1.234", "Use at most two decimal places."),
        ("ten", "Enter an amount such as 25.00."),
        ("", "This field is required."),
        ("10000.01", "One top-up can add at most 10000.00."),
    ],
)
def test_bad_top_up_shows_the_field_error_and_writes_nothing(signed_in, user, amount, error):
    response = signed_in.post(URL, {"amount": amount})

    assert response.status_code == 200
    html = response.content.decode()
    assert error in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="amount-error amount-help"' in html and 'id="amount-error"' in html
    assert not WalletEntry.objects.exists()


@override_settings(WALLET_MAX_CHARGE=Decimal("50.00"))
def test_maximum_comes_from_the_settings(signed_in):
    response = signed_in.post(URL, {"amount": "50.01"})
    assert "One top-up can add at most 50.00." in response.content.decode()
    assert "Up to 50.00" in response.content.decode()


def test_htmx_top_up_swaps_the_form_and_updates_balance_and_ledger_out_of_band(signed_in, user):
    response = signed_in.post(URL, {"amount": "5.00"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<article id="wallet-topup">')
    assert "5.00 USD added to your wallet." in html
    assert 'id="wallet-balance"' in html and html.count('hx-swap-oob="true"') == 2
    assert "<strong>5.00</strong>" in html and "+5.00" in html
    assert "<html" not in html
    # Shown in place: not queued for the next full page as well.
    assert list(get_messages(response.wsgi_request)) == []
    assert balance_of(user) == Decimal("5.00")


def test_htmx_bad_top_up_returns_only_the_form_with_its_error(signed_in):
    response = signed_in.post(URL, {"amount": "abc"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<article id="wallet-topup">')
    assert "Enter an amount such as 25.00." in html
    assert "hx-swap-oob" not in html
    assert not WalletEntry.objects.exists()


def test_the_same_form_submitted_twice_charges_once(signed_in, user):
    page = signed_in.get(URL)
    key = page.context["form"]["idempotency_key"].value()
    assert f'name="idempotency_key" value="{key}"' in page.content.decode()

    signed_in.post(URL, {"amount": "9.00", "idempotency_key": key}, follow=True)
    response = signed_in.post(URL, {"amount": "9.00", "idempotency_key": key})

    assert response.status_code == 302
    assert _messages(response) == ["That top-up was already made; nothing more was added."]
    assert balance_of(user) == Decimal("9.00") == ledger_sum(user)
    # The next form has a new key.
    assert signed_in.get(URL).context["form"]["idempotency_key"].value() != key


def test_an_old_form_with_another_amount_is_refused_and_gets_a_new_key(signed_in, user):
    signed_in.post(URL, {"amount": "9.00", "idempotency_key": "old-key"})
    response = signed_in.post(URL, {"amount": "10.00", "idempotency_key": "old-key"})

    assert response.status_code == 200
    assert "This form was already used for another top-up" in response.content.decode()
    assert response.context["form"]["idempotency_key"].value() != "old-key"
    assert balance_of(user) == Decimal("9.00")


def test_a_tampered_key_is_refused(signed_in):
    response = signed_in.post(URL, {"amount": "9.00", "idempotency_key": "no spaces allowed"})
    assert "This form has expired; please try again." in response.content.decode()
    assert not WalletEntry.objects.exists()
