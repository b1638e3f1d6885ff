"""The saved payment method pages under /wallet/methods/: what a customer sees and can do."""

import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from payments.models import PaymentMethod, PaymentMethodStatus
from payments.services.methods import payment_method_add
from payments.views_methods import PENDING_CARD_SESSION_KEY
from tests.factories.accounts import CustomerFactory, UserFactory

from .saved_cards import MASTERCARD, VISA, card_token, saved_card

pytestmark = pytest.mark.django_db

LIST = "/wallet/methods/"
NEW = "/wallet/methods/new/"
ADD = "/wallet/methods/add/"


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _started(client, *, state: str = "the-state", billing: dict | None = None, **extra) -> None:
    """The session as the billing form leaves it before the customer goes to the card form."""
    session = client.session
    session[PENDING_CARD_SESSION_KEY] = {
        "state": state,
        "billing": billing or {},
        "make_default": False,
        "next": "",
        **extra,
    }
    session.save()


def test_url_names():
    assert reverse("payments:methods") == LIST
    assert reverse("payments:method_new") == NEW
    assert reverse("payments:method_add") == ADD
    assert reverse("payments:method_remove", args=[7]) == "/wallet/methods/7/remove/"
    assert reverse("payments:method_default", args=[7]) == "/wallet/methods/7/default/"


@pytest.mark.parametrize("url", [LIST, NEW, ADD, "/wallet/methods/1/remove/"])
def test_pages_need_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_the_list_shows_brand_last4_expiry_and_the_default_badge(signed_in, user):
    default = saved_card(user, VISA)
    other = saved_card(user, MASTERCARD, billing={"billing_name": "Ada Lovelace", "billing_country": "GB"})

    response = signed_in.get(LIST)

    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(
        r'Visa <span aria-hidden="true">••••</span><span class="visually-hidden">ending in</span> 4242', html
    )
    assert "Mastercard" in html and "4444" in html
    assert f"Expires 12/{default.exp_year}" in html
    assert "Ada Lovelace, United Kingdom" in html
    assert html.count(">Default<") == 1
    # The default comes first and has no "Make default" button; the others have one each.
    assert html.index(f'id="method-{default.pk}"') < html.index(f'id="method-{other.pk}"')
    assert f'action="/wallet/methods/{default.pk}/default/"' not in html
    assert f'action="/wallet/methods/{other.pk}/default/"' in html
    assert default.token not in html and VISA not in html


def test_the_list_costs_the_same_queries_for_any_number_of_cards(signed_in, user):
    saved_card(user)
    signed_in.get(LIST)  # the first request of a session does its own bookkeeping
    before = _queries(signed_in)
    for _ in range(4):
        saved_card(user, MASTERCARD)
    assert _queries(signed_in) == before


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST).status_code == 200
    return len(queries)


def test_an_expired_card_shows_as_expired_without_a_make_default_button(signed_in, user):
    saved_card(user)
    old = saved_card(user, MASTERCARD)
    PaymentMethod.objects.filter(pk=old.pk).update(exp_year=2001, exp_month=1)

    html = signed_in.get(LIST).content.decode()

    assert "Expires 01/2001" in html and ">Expired<" in html
    assert "This card has expired and cannot pay." in html
    assert f"/wallet/methods/{old.pk}/default/" not in html


def test_the_list_never_shows_removed_or_another_customers_cards(signed_in, user, other_user):
    theirs = saved_card(other_user, MASTERCARD)
    mine = saved_card(user)
    PaymentMethod.objects.filter(pk=mine.pk).update(status=PaymentMethodStatus.INACTIVE)

    html = signed_in.get(LIST).content.decode()

    assert "4444" not in html and "4242" not in html
    assert "You have no saved cards yet." in html
    assert f"/wallet/methods/{theirs.pk}/" not in html


def test_the_billing_form_is_prefilled_from_the_primary_address(client):
    customer = CustomerFactory().user
    client.force_login(customer)
    response = client.get(NEW)
    html = response.content.decode()
    assert response.status_code == 200
    address = customer.addresses.get(is_primary=True)
    assert f'value="{address.street_address}"' in html
    assert 'name="make_default"' in html
    assert 'autocomplete="cc-name"' in html
    assert 'name="number"' not in html and 'name="cvc"' not in html  # the card is typed at the gateway


def test_a_bad_billing_form_shows_errors_and_starts_nothing(signed_in):
    response = signed_in.post(NEW, {"billing_country": "XX", "billing_postal_code": "1" * 30})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Select a valid choice." in html and "Ensure this value has at most 20 characters" in html
    assert PENDING_CARD_SESSION_KEY not in signed_in.session


# --- the way back from the card gateway ---------------------------------------------------------


def test_the_way_back_saves_the_card_with_the_billing_address_and_goes_to_the_list(signed_in, user):
    _started(signed_in, billing={"billing_name": "Ada", "billing_country": "GB"})
    token = card_token()

    response = signed_in.get(ADD, {"state": "the-state", "token": token})

    assert response.status_code == 302 and response["Location"] == LIST
    assert _messages(response) == ["Visa •••• 4242 was saved as your default card."]
    method = PaymentMethod.objects.get(user=user)
    assert (method.token, method.billing_name, method.billing_country.code, method.is_default) == (
        token,
        "Ada",
        "GB",
        True,
    )
    assert PENDING_CARD_SESSION_KEY not in signed_in.session  # one use


def test_the_way_back_goes_to_next_when_the_form_was_opened_from_elsewhere(signed_in, user):
    saved_card(user)
    _started(signed_in, next="/cart/", make_default=True)

    response = signed_in.get(ADD, {"state": "the-state", "token": card_token(MASTERCARD)})

    assert response["Location"] == "/cart/"
    assert _messages(response) == ["Mastercard •••• 4444 was saved as your default card."]


@pytest.mark.parametrize(
    "params",
    [{"state": "another-state"}, {"state": ""}, {}],
    ids=["wrong state", "empty state", "no state"],
)
def test_a_token_without_this_sessions_state_saves_nothing(signed_in, user, params):
    """A link carrying someone's token (or a replayed way back) cannot plant a card here."""
    _started(signed_in)
    response = signed_in.get(ADD, {**params, "token": card_token()})

    assert response.status_code == 302 and response["Location"] == LIST
    assert _messages(response) == [
        "This card form has expired or was not opened from this account. Add the card again."
    ]
    assert not PaymentMethod.objects.exists()
    assert PENDING_CARD_SESSION_KEY in signed_in.session  # the real round trip can still finish


def test_a_token_without_any_round_trip_saves_nothing(signed_in):
    response = signed_in.get(ADD, {"state": "guess", "token": card_token()})
    assert response["Location"] == LIST
    assert not PaymentMethod.objects.exists()


def test_another_customers_round_trip_does_not_save_to_this_account(client, user):
    """The state lives in the session of the customer who started: another browser has none."""
    starter = UserFactory()
    client.force_login(starter)
    _started(client)
    other_browser = client.__class__()
    other_browser.force_login(user)

    other_browser.get(ADD, {"state": "the-state", "token": card_token()})

    assert not PaymentMethod.objects.exists()


def test_the_way_back_twice_saves_once(signed_in, user):
    _started(signed_in)
    token = card_token()
    signed_in.get(ADD, {"state": "the-state", "token": token})
    response = signed_in.get(ADD, {"state": "the-state", "token": token})

    assert "This card form has expired" in _messages(response)[-1]
    assert PaymentMethod.objects.count() == 1


def test_a_used_token_is_refused_with_a_message(signed_in, user, other_user):
    token = card_token()
    payment_method_add(user=other_user, token=token)
    _started(signed_in)

    response = signed_in.get(ADD, {"state": "the-state", "token": token})

    assert _messages(response) == ["This card was already saved. Add it again to save it once more."]
    assert not PaymentMethod.objects.filter(user=user).exists()


def test_coming_back_without_a_token_saves_nothing(signed_in):
    _started(signed_in)
    response = signed_in.get(ADD, {"state": "the-state"})
    assert _messages(response) == ["No card was saved."]
    assert not PaymentMethod.objects.exists()


def test_a_bad_token_is_refused_with_a_message(signed_in):
    _started(signed_in)
    response = signed_in.get(ADD, {"state": "the-state", "token": "tok_bogus"})
    assert _messages(response) == ["The card could not be read. Add it again."]
    assert not PaymentMethod.objects.exists()


def test_the_way_back_only_answers_get(signed_in):
    _started(signed_in)
    assert signed_in.post(ADD, {"state": "the-state", "token": card_token()}).status_code == 405
    assert not PaymentMethod.objects.exists()


# --- remove and make default --------------------------------------------------------------------


def test_remove_asks_first_then_removes_and_names_the_new_default(signed_in, user):
    default = saved_card(user, VISA)
    saved_card(user, MASTERCARD)
    url = reverse("payments:method_remove", args=[default.pk])

    page = signed_in.get(url)
    assert page.status_code == 200
    assert "Remove this card?" in page.content.decode()
    assert "your newest other card becomes the default" in page.content.decode()
    default.refresh_from_db()
    assert default.status == PaymentMethodStatus.ACTIVE  # a GET changes nothing

    response = signed_in.post(url)

    assert response.status_code == 302 and response["Location"] == LIST
    assert _messages(response) == ["Visa •••• 4242 was removed. Your default card is now Mastercard •••• 4444."]
    default.refresh_from_db()
    assert default.status == PaymentMethodStatus.INACTIVE


def test_make_default_from_the_list(signed_in, user):
    saved_card(user, VISA)
    other = saved_card(user, MASTERCARD)

    response = signed_in.post(reverse("payments:method_default", args=[other.pk]))

    assert response["Location"] == LIST
    assert _messages(response) == ["Mastercard •••• 4444 is now your default card."]
    other.refresh_from_db()
    assert other.is_default


def test_make_default_of_an_expired_card_says_why(signed_in, user):
    saved_card(user)
    old = saved_card(user, MASTERCARD)
    PaymentMethod.objects.filter(pk=old.pk).update(exp_year=2001)

    response = signed_in.post(reverse("payments:method_default", args=[old.pk]))

    assert _messages(response) == ["An expired card cannot be your default card."]
    old.refresh_from_db()
    assert not old.is_default


def test_make_default_is_post_only(signed_in, user):
    method = saved_card(user)
    assert signed_in.get(reverse("payments:method_default", args=[method.pk])).status_code == 405


@pytest.mark.parametrize("name", ["payments:method_remove", "payments:method_default"])
def test_another_customers_card_is_a_404_and_stays(signed_in, other_user, name):
    theirs = saved_card(other_user)
    url = reverse(name, args=[theirs.pk])
    assert signed_in.post(url).status_code == 404
    if name == "payments:method_remove":
        assert signed_in.get(url).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == PaymentMethodStatus.ACTIVE and theirs.is_default


def test_the_account_menu_links_to_payment_methods(signed_in):
    html = signed_in.get(LIST).content.decode()
    assert f'<a href="{LIST}" aria-current="page">Payment methods</a>' in html


def test_a_card_number_typed_into_the_billing_form_is_refused_and_not_kept(signed_in):
    response = signed_in.post(NEW, {"billing_name": "4242-4242-4242-4242", "billing_country": "GB"})
    assert response.status_code == 200
    assert "Do not type a card number here." in response.content.decode()
    assert PENDING_CARD_SESSION_KEY not in signed_in.session


# --- the whole round trip, through the sandbox's card page ---------------------------------------


def test_add_a_card_through_the_sandbox_card_page(signed_in, user):
    """Billing form -> the processor's card page (the number is typed there) -> back: saved."""
    form = signed_in.post(
        NEW + "?next=/wallet/", {"billing_name": "Ada", "billing_country": "GB", "make_default": "on"}
    )
    assert form.status_code == 302
    card_page_url = form["Location"]
    assert card_page_url.startswith("/sandbox-gateway/cards/new/?return=%2Fwallet%2Fmethods%2Fadd%2F%3Fstate%3D")

    card_page = signed_in.get(card_page_url)
    assert card_page.status_code == 200 and 'name="number"' in card_page.content.decode()
    year = timezone.localdate().year + 2
    back = signed_in.post(
        card_page_url, {"number": "5555 5555 5555 4444", "exp_month": "11", "exp_year": str(year), "cvc": "321"}
    )
    assert back.status_code == 302 and back["Location"].startswith(ADD + "?state=")
    assert "&token=tok_" in back["Location"]

    saved = signed_in.get(back["Location"])

    assert saved["Location"] == "/wallet/"
    method = PaymentMethod.objects.get(user=user)
    assert (method.brand, method.last4, method.exp_month, method.billing_name) == ("Mastercard", "4444", 11, "Ada")
    assert method.is_default
    html = signed_in.get(LIST).content.decode()
    assert "Mastercard" in html and "5555" not in html


def test_the_billing_form_sends_the_customer_to_the_card_gateway_and_remembers_nothing_else(signed_in):
    response = signed_in.post(NEW + "?next=https://evil.example/", {"billing_name": "Ada"})
    assert response["Location"].startswith("/sandbox-gateway/cards/new/?return=")
    pending = signed_in.session[PENDING_CARD_SESSION_KEY]
    assert pending["next"] == ""  # not a page of this shop: not followed
    assert pending["billing"]["billing_name"] == "Ada" and len(pending["state"]) >= 32
    assert not PaymentMethod.objects.exists()
