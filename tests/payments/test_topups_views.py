"""The wallet page's paid top-up: choose a saved card, pay, see the money (or the reason)."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import override_settings

from payments.models import Payment, PaymentStatus, WalletEntry

from .cards import DECLINED, THREE_DS, sandbox
from .helpers import balance_of, ledger_sum
from .saved_cards import MASTERCARD, VISA, saved_card

pytestmark = pytest.mark.django_db

URL = "/wallet/"


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _key(client) -> str:
    return client.get(URL).context["form"]["idempotency_key"].value()


def test_the_form_offers_the_saved_cards_with_the_default_chosen(signed_in, user):
    other = saved_card(user, MASTERCARD)
    default = saved_card(user, VISA, make_default=True)

    html = signed_in.get(URL).content.decode()

    assert "<legend>Pay with</legend>" in html
    assert f'value="{default.pk}" checked> Visa •••• 4242' in html
    assert f'value="{other.pk}"> Mastercard •••• 4444' in html
    assert "No payment (a demo top-up)" in html  # WALLET_FREE_TOPUP is on in tests
    assert 'href="/wallet/methods/new/?next=/wallet/"' in html
    assert default.token not in html and VISA not in html


@override_settings(WALLET_FREE_TOPUP=False)
def test_without_free_top_ups_the_form_offers_only_cards(signed_in, user):
    saved_card(user)
    html = signed_in.get(URL).content.decode()
    assert "No payment" not in html and "<legend>Pay with</legend>" in html


@override_settings(WALLET_FREE_TOPUP=False)
def test_without_free_top_ups_or_a_card_the_page_asks_for_a_card(signed_in):
    html = signed_in.get(URL).content.decode()
    assert "Save a card to top up your wallet." in html
    assert ">Top up</button>" not in html

    response = signed_in.post(URL, {"amount": "10.00"})

    assert response.status_code == 200
    assert "Choose a saved card to pay for the top-up." in response.content.decode()
    assert not WalletEntry.objects.exists()


def test_an_expired_card_is_not_offered(signed_in, user):
    from payments.models import PaymentMethod

    card = saved_card(user)
    PaymentMethod.objects.filter(pk=card.pk).update(exp_year=2001)
    assert f'value="{card.pk}"' not in signed_in.get(URL).content.decode()


def test_a_paid_top_up_from_the_page(signed_in, user):
    card = saved_card(user)

    response = signed_in.post(URL, {"amount": "25.00", "payment_method": card.pk, "idempotency_key": _key(signed_in)})

    assert response.status_code == 302 and response["Location"] == URL
    assert _messages(response) == ["25.00 USD added to your wallet."]
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.CAPTURED and payment.payment_method == card
    assert balance_of(user) == Decimal("25.00") == ledger_sum(user)


def test_the_same_form_submitted_twice_charges_once(signed_in, user):
    card = saved_card(user)
    key = _key(signed_in)
    form = {"amount": "25.00", "payment_method": card.pk, "idempotency_key": key}

    signed_in.post(URL, form, follow=True)
    response = signed_in.post(URL, form)

    assert _messages(response) == ["That top-up was already made; nothing more was added."]
    assert Payment.objects.count() == 1
    assert balance_of(user) == Decimal("25.00") == ledger_sum(user)


def test_a_declined_card_shows_the_reason_says_nothing_was_charged_and_gives_a_new_form(signed_in, user):
    card = saved_card(user, DECLINED)
    key = _key(signed_in)

    response = signed_in.post(URL, {"amount": "25.00", "payment_method": card.pk, "idempotency_key": key})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Your card was declined. Nothing was charged." in html
    assert response.context["form"]["idempotency_key"].value() != key  # another card may be tried
    assert not WalletEntry.objects.exists()
    assert "4000000000000002" not in html


def test_a_card_needing_the_banks_confirmation_goes_there_and_comes_back_credited(
    signed_in, user, django_capture_on_commit_callbacks
):
    card = saved_card(user, THREE_DS)

    response = signed_in.post(URL, {"amount": "30.00", "payment_method": card.pk, "idempotency_key": _key(signed_in)})

    payment = Payment.objects.get()
    assert response.status_code == 302 and response["Location"] == payment.action_url
    waiting = signed_in.get(f"{URL}?topup={payment.pk}").content.decode()
    assert "Confirming your payment…" in waiting and '<meta http-equiv="refresh" content="3">' in waiting

    with django_capture_on_commit_callbacks(execute=True):
        back = sandbox().confirm(reference=payment.gateway_reference, approve=True)

    html = signed_in.get(back).content.decode()
    assert "30.00 USD added to your wallet." in html and 'http-equiv="refresh"' not in html
    assert balance_of(user) == Decimal("30.00")


def test_a_refused_confirmation_comes_back_with_the_reason(signed_in, user, django_capture_on_commit_callbacks):
    card = saved_card(user, THREE_DS)
    signed_in.post(URL, {"amount": "30.00", "payment_method": card.pk, "idempotency_key": _key(signed_in)})
    payment = Payment.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        back = sandbox().confirm(reference=payment.gateway_reference, approve=False)

    html = signed_in.get(back).content.decode()

    assert "The payment was not confirmed with your bank. Nothing was charged." in html
    assert not WalletEntry.objects.exists()


def test_htmx_top_up_needing_confirmation_redirects_the_whole_page(signed_in, user):
    card = saved_card(user, THREE_DS)
    response = signed_in.post(
        URL, {"amount": "30.00", "payment_method": card.pk, "idempotency_key": "hx-1"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == Payment.objects.get().action_url


def test_htmx_paid_top_up_swaps_the_form_and_the_balance(signed_in, user):
    card = saved_card(user)
    response = signed_in.post(
        URL, {"amount": "5.00", "payment_method": card.pk, "idempotency_key": "hx-2"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<article id="wallet-topup">')
    assert "5.00 USD added to your wallet." in html and "<strong>5.00</strong>" in html


def test_another_customers_card_or_top_up_is_never_used_or_shown(signed_in, user, other_user):
    theirs = saved_card(other_user)
    response = signed_in.post(URL, {"amount": "5.00", "payment_method": theirs.pk, "idempotency_key": "x"})
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    assert not Payment.objects.exists()

    from payments.services.topups import wallet_topup_start

    their_topup = wallet_topup_start(user=other_user, amount="7.77", payment_method_id=theirs.pk).payment
    html = signed_in.get(f"{URL}?topup={their_topup.pk}").content.decode()
    assert "7.77" not in html
    assert signed_in.get(f"{URL}?topup=abc").status_code == 200
