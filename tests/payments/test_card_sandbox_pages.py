"""The sandbox processor's pages: the card form and the confirmation step (3-D Secure)."""

import pytest

from payments.gateways.sandbox import sandbox_card_of
from payments.models import PaymentStatus
from payments.services.card import card_payment_run
from tests.factories.accounts import UserFactory

from .cards import OK, RETURN_URL, THREE_DS, card_payment, far_future_year

pytestmark = pytest.mark.django_db

CARD_URL = "/sandbox-gateway/cards/new/"
BACK = "/wallet/methods/add/"


def _card(**fields):
    return {"number": OK, "exp_month": "12", "exp_year": str(far_future_year()), "cvc": "123", "return": BACK, **fields}


def test_the_card_form_is_labelled_and_knows_the_way_back(client):
    page = client.get(CARD_URL, {"return": BACK})
    html = page.content.decode()
    assert page.status_code == 200
    for label in ("Card number", "Expiry month", "Expiry year", "Security code (CVC)"):
        assert label in html
    assert 'autocomplete="cc-number"' in html and f'value="{BACK}"' in html


@pytest.mark.parametrize("back", [None, "https://evil.example/steal", "//evil.example/x", "javascript:alert(1)"])
def test_the_card_form_refuses_a_way_back_to_another_site(client, back):
    params = {"return": back} if back else {}
    page = client.get(CARD_URL, params)
    assert page.status_code == 400
    assert "Open this page from the shop" in page.content.decode()
    assert client.post(CARD_URL, _card(**({"return": back} if back else {"return": ""}))).status_code == 400


def test_a_valid_card_goes_back_with_its_token(client):
    response = client.post(CARD_URL, _card(number="4242 4242 4242 4242"))
    assert response.status_code == 302
    path, _sep, query = response["Location"].partition("?")
    assert path == BACK and query.startswith("token=tok_")
    assert sandbox_card_of(query.removeprefix("token=")).last4 == "4242"


def test_the_way_back_keeps_its_own_query(client):
    response = client.post(CARD_URL, _card(**{"return": "/orders/checkout/?step=pay"}))
    assert response["Location"].startswith("/orders/checkout/?step=pay&token=tok_")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"number": "4242424242424241"}, "Enter a valid card number."),
        ({"cvc": "1x"}, "Enter the 3 or 4 digits on the back of the card."),
        ({"exp_year": "2001"}, "This card has expired."),
        ({"exp_month": "13"}, "Ensure this value is less than or equal to 12."),
    ],
)
def test_a_refused_card_is_shown_again_without_its_number_or_cvc(client, fields, message):
    data = _card(**fields)
    page = client.post(CARD_URL, data)
    html = page.content.decode()
    assert page.status_code == 400 and message in html
    assert data["number"] not in html and 'value="123"' not in html and "4242" not in html
    assert f'value="{data["exp_month"]}"' in html  # what is not secret is kept for the customer


def test_the_confirmation_page_shows_the_amount_and_two_choices(client):
    payment = card_payment(UserFactory(), THREE_DS, amount="77.00")
    payment = card_payment_run(payment_id=payment.pk, return_url=RETURN_URL)
    page = client.get(payment.action_url)
    html = page.content.decode()
    assert page.status_code == 200 and "77.00" in html
    assert 'value="approve"' in html and 'value="refuse"' in html


@pytest.mark.parametrize(
    ("decision", "status"), [("approve", PaymentStatus.CAPTURED), ("refuse", PaymentStatus.FAILED)]
)
def test_confirming_sends_the_customer_back_and_the_webhook_settles_it(
    client, django_capture_on_commit_callbacks, decision, status
):
    payment = card_payment_run(payment_id=card_payment(UserFactory(), THREE_DS).pk, return_url=RETURN_URL)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(payment.action_url, {"decision": decision})
    assert response.status_code == 302 and response["Location"] == RETURN_URL
    payment.refresh_from_db()
    assert payment.status == status


def test_the_confirmation_page_of_an_unknown_payment_is_a_404(client):
    assert client.get("/sandbox-gateway/confirm/pi_nope/").status_code == 404
    assert client.post("/sandbox-gateway/confirm/pi_nope/", {"decision": "approve"}).status_code == 404


def test_the_confirmation_needs_a_choice(client):
    payment = card_payment_run(payment_id=card_payment(UserFactory(), THREE_DS).pk, return_url=RETURN_URL)
    response = client.post(payment.action_url, {"decision": "maybe"})
    assert response.status_code == 400 and "Choose Approve or Refuse." in response.content.decode()


def test_an_off_site_return_url_is_not_followed(client, django_capture_on_commit_callbacks):
    payment = card_payment(UserFactory(), THREE_DS)
    payment = card_payment_run(payment_id=payment.pk, return_url="https://evil.example/x")
    response = client.post(payment.action_url, {"decision": "approve"})
    assert response["Location"] == "/"
