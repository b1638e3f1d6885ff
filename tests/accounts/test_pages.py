"""Account pages: each GET renders, each POST with good input writes and says so, with bad input
shows the error on the field and writes nothing."""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import Address, Customer, Seller, SellerStatus, User, UserPreferences, UserProfile
from tests.factories.accounts import (
    AddressFactory,
    SellerFactory,
    UserFactory,
    UserPreferencesFactory,
    UserProfileFactory,
)

from .conftest import page_sign_in

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "a-long-and-unusual-passphrase"
ADDRESS_FORM = {
    "address_type": "home",
    "recipient_name": "Ada Lovelace",
    "street_address": "12 Analytical Row",
    "street_address_line2": "",
    "city": "London",
    "state": "",
    "postal_code": "N1 9GU",
    "country": "GB",
}


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def assert_field_error(response, field, text):
    """The error is rendered next to the field, and the field is marked invalid."""
    html = response.content.decode()
    block = re.search(rf'id="id_{field}_errors">(.*?)</div>', html, re.S)
    assert block, f"no error shown for {field}"
    assert text in block.group(1)
    assert re.search(rf'<[^>]*name="{field}"[^>]*aria-invalid="true"', html)


def assert_no_inline_script_or_style(response):
    html = response.content.decode()
    assert " style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


# --- every page renders -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["accounts:login", "accounts:signup", "accounts:seller_apply", "accounts:password_reset"]
)
def test_public_pages_render_with_labels_and_no_inline_code(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert "<label" in response.content.decode()
    assert_no_inline_script_or_style(response)


@pytest.mark.parametrize(
    "name",
    [
        "accounts:overview",
        "accounts:profile",
        "accounts:addresses",
        "accounts:address_add",
        "accounts:preferences",
        "accounts:sessions",
        "accounts:password_change",
    ],
)
def test_account_pages_need_a_sign_in_and_then_render(client, user, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    page_sign_in(client, user.email)
    response = client.get(url)
    assert response.status_code == 200
    assert_no_inline_script_or_style(response)


def test_sign_in_page_asks_for_an_email(client):
    html = client.get(reverse("accounts:login")).content.decode()
    assert '<label for="id_username">Email' in html
    assert 'type="email"' in html


# --- sign up ----------------------------------------------------------------------------------


def test_sign_up_creates_a_customer_and_sends_them_to_their_inbox(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    # Issue 10 #7: the answer no longer signs in at once (which would tell a taken address from a
    # new one); "check your inbox", and the welcome e-mail says the account is ready.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:signup"),
            {
                "email": "new@example.com",
                "first_name": "New",
                "last_name": "Shopper",
                "password1": GOOD_PASSWORD,
                "password2": GOOD_PASSWORD,
            },
            follow=True,
        )
    assert response.redirect_chain[-1][0] == reverse("accounts:login")
    assert "Check your email" in response.content.decode()
    user = User.objects.get(email="new@example.com")
    assert not response.wsgi_request.user.is_authenticated
    assert Customer.objects.filter(user=user).exists()
    assert [m.to for m in mailoutbox] == [["new@example.com"]]
    assert "Your account is ready" in mailoutbox[0].body
    assert (
        client.post(reverse("accounts:login"), {"username": user.email, "password": GOOD_PASSWORD}).status_code == 302
    )


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"email": "nope"}, "email", "valid email"),
        ({"password1": "short", "password2": "short"}, "password1", "too short"),
        ({"password2": "something-else-entirely"}, "password2", "do not match"),
        ({"first_name": ""}, "first_name", "required"),
    ],
)
def test_sign_up_with_bad_input_shows_the_error_and_writes_nothing(client, data, field, error):
    UserFactory(primary_address=False, email="taken@example.com")
    form = {
        "email": "new@example.com",
        "first_name": "New",
        "last_name": "Shopper",
        "password1": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
        **data,
    }
    response = client.post(reverse("accounts:signup"), form)
    assert response.status_code == 200
    assert_field_error(response, field, error)
    assert User.objects.count() == 1
    assert not response.wsgi_request.user.is_authenticated


def test_sign_up_page_sends_signed_in_users_to_their_account(signed_in_client):
    response = signed_in_client.get(reverse("accounts:signup"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:overview")


# --- seller application -----------------------------------------------------------------------

BUSINESS = {
    "business_name": "Lovelace Looms",
    "business_registration_number": "GB-123456",
    "contact_person_name": "Ada Lovelace",
    "contact_person_phone": "+44 20 7946 0000",
}


def test_a_visitor_applies_as_a_seller_with_a_new_account_and_sees_the_status(client):
    response = client.post(
        reverse("accounts:seller_apply"),
        {
            **BUSINESS,
            "email": "maker@example.com",
            "first_name": "Mia",
            "last_name": "Maker",
            "password1": GOOD_PASSWORD,
            "password2": GOOD_PASSWORD,
        },
        follow=True,
    )
    html = response.content.decode()
    assert "under review" in html
    assert re.search(r'id="seller-status">Under review<', html)
    seller = Seller.objects.get(user__email="maker@example.com")
    assert seller.status == SellerStatus.UNDER_REVIEW
    assert response.wsgi_request.user == seller.user


def test_a_signed_in_user_applies_without_account_fields(signed_in_client, user):
    page = signed_in_client.get(reverse("accounts:seller_apply")).content.decode()
    assert 'name="email"' not in page
    response = signed_in_client.post(reverse("accounts:seller_apply"), BUSINESS)
    assert response.status_code == 302
    assert Seller.objects.get(user=user).status == SellerStatus.UNDER_REVIEW


def test_seller_application_with_a_taken_registration_number_shows_it(signed_in_client, user):
    SellerFactory(business_registration_number="GB-123456")
    response = signed_in_client.post(reverse("accounts:seller_apply"), BUSINESS)
    assert response.status_code == 200
    assert_field_error(response, "business_registration_number", "already exists")
    assert not Seller.objects.filter(user=user).exists()


def test_seller_application_with_missing_fields_writes_nothing(client):
    response = client.post(reverse("accounts:seller_apply"), {"business_name": "X"})
    assert response.status_code == 200
    assert_field_error(response, "email", "required")
    assert_field_error(response, "business_registration_number", "required")
    assert not User.objects.exists()


def test_an_existing_seller_is_sent_to_the_overview(client):
    seller = SellerFactory(status=SellerStatus.ACTIVE)
    page_sign_in(client, seller.user.email)
    response = client.get(reverse("accounts:seller_apply"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:overview")
    assert re.search(r'id="seller-status">Active<', response.content.decode())


# --- overview and profile ---------------------------------------------------------------------


def test_overview_shows_the_account_and_primary_address(signed_in_client, user):
    AddressFactory(user=user, is_primary=True, city="Lisbon")
    html = signed_in_client.get(reverse("accounts:overview")).content.decode()
    assert user.email in html
    assert "Lisbon" in html
    assert "Apply as a seller" in html
    assert "1 active sign-in" in html


def test_profile_update_saves_and_says_so(signed_in_client, user):
    response = signed_in_client.post(
        reverse("accounts:profile"),
        {"first_name": "Ada", "last_name": "King", "phone_number": "123", "display_name": "countess", "bio": ""},
        follow=True,
    )
    assert "Your profile was saved." in response.content.decode()
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Ada", "King")
    assert UserProfile.objects.get(user=user).display_name == "countess"


def test_profile_with_a_taken_display_name_shows_the_error_and_changes_nothing(signed_in_client, user):
    UserProfileFactory(display_name="Countess")
    response = signed_in_client.post(
        reverse("accounts:profile"), {"first_name": "Changed", "last_name": "X", "display_name": "COUNTESS"}
    )
    assert response.status_code == 200
    assert_field_error(response, "display_name", "already taken")
    user.refresh_from_db()
    assert user.first_name != "Changed"


def test_profile_with_a_bad_website_shows_the_error(signed_in_client):
    response = signed_in_client.post(reverse("accounts:profile"), {"website": "http://"})
    assert_field_error(response, "website", "valid URL")


def test_profile_page_shows_and_saves_social_links(signed_in_client, user):
    UserProfileFactory(user=user, social_links={"github": "https://github.com/ada", "x": "https://x.com/ada"})
    html = signed_in_client.get(reverse("accounts:profile")).content.decode()
    assert re.search(r'name="social_github"[^>]*value="https://github.com/ada"', html)
    assert "Social links" in html

    response = signed_in_client.post(
        reverse("accounts:profile"),
        {
            "first_name": "Ada",
            "social_github": "https://github.com/ada-lovelace",
            "social_x": "",  # cleared: the link goes
            "social_mastodon": "mastodon.social/@ada",  # no scheme: https is assumed
        },
        follow=True,
    )
    assert "Your profile was saved." in response.content.decode()
    assert UserProfile.objects.get(user=user).social_links == {
        "github": "https://github.com/ada-lovelace",
        "mastodon": "https://mastodon.social/@ada",
    }


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("javascript:alert(1)", "starts with http:// or https://"),
        ("ftp://files.example.com/ada", "starts with http:// or https://"),
        ("https://example.com/" + "a" * 200, "at most 200 characters"),
        ("http://", "starts with http:// or https://"),
    ],
)
def test_profile_with_a_bad_social_link_shows_the_error_and_changes_nothing(signed_in_client, user, value, text):
    UserProfileFactory(user=user, social_links={"github": "https://github.com/ada"})
    response = signed_in_client.post(
        reverse("accounts:profile"), {"first_name": "Changed", "social_github": "", "social_instagram": value}
    )
    assert response.status_code == 200
    assert_field_error(response, "social_instagram", text)
    user.refresh_from_db()
    assert user.first_name != "Changed"
    assert UserProfile.objects.get(user=user).social_links == {"github": "https://github.com/ada"}


# --- preferences ------------------------------------------------------------------------------


def test_preferences_save(signed_in_client, user):
    response = signed_in_client.post(
        reverse("accounts:preferences"),
        {
            "language": "de-DE",
            "currency": "EUR",
            "theme": "dark",
            "date_format": "DD.MM.YYYY",
            "time_format": "24h",
            "privacy_level": "private",
            "email_notifications": "on",
        },
        follow=True,
    )
    assert "Your preferences were saved." in response.content.decode()
    prefs = UserPreferences.objects.get(user=user)
    assert (prefs.language, prefs.currency, prefs.theme, prefs.marketing_emails) == ("de-DE", "EUR", "dark", False)


def test_preferences_with_a_bad_choice_show_the_error_and_change_nothing(signed_in_client, user):
    UserPreferencesFactory(user=user, theme="light")
    response = signed_in_client.post(reverse("accounts:preferences"), {"theme": "neon", "language": "en"})
    assert_field_error(response, "theme", "Select a valid choice")
    assert UserPreferences.objects.get(user=user).theme == "light"


# --- addresses --------------------------------------------------------------------------------


def test_adding_addresses_the_first_is_primary(signed_in_client, user):
    response = signed_in_client.post(reverse("accounts:address_add"), ADDRESS_FORM, follow=True)
    assert "The address was added." in response.content.decode()
    signed_in_client.post(reverse("accounts:address_add"), {**ADDRESS_FORM, "city": "Paris"})
    addresses = list(Address.objects.filter(user=user).order_by("id"))
    assert [a.is_primary for a in addresses] == [True, False]
    html = signed_in_client.get(reverse("accounts:addresses")).content.decode()
    assert "London" in html and "Paris" in html and "Primary" in html


def test_adding_an_address_with_missing_fields_writes_nothing(signed_in_client, user):
    response = signed_in_client.post(reverse("accounts:address_add"), {**ADDRESS_FORM, "city": ""})
    assert response.status_code == 200
    assert_field_error(response, "city", "required")
    assert not Address.objects.filter(user=user).exists()


def test_editing_an_address(signed_in_client, user):
    address = AddressFactory(user=user, is_primary=True)
    url = reverse("accounts:address_edit", args=[address.pk])
    assert address.street_address in signed_in_client.get(url).content.decode()
    response = signed_in_client.post(url, {**ADDRESS_FORM, "city": "Oslo"}, follow=True)
    assert "The address was saved." in response.content.decode()
    address.refresh_from_db()
    assert address.city == "Oslo" and address.is_primary


def test_editing_an_address_with_bad_input_changes_nothing(signed_in_client, user):
    address = AddressFactory(user=user, is_primary=True, city="Rome")
    response = signed_in_client.post(
        reverse("accounts:address_edit", args=[address.pk]), {**ADDRESS_FORM, "country": "", "city": "Oslo"}
    )
    assert_field_error(response, "country", "required")
    address.refresh_from_db()
    assert address.city == "Rome"


def test_make_primary_and_delete_the_primary(signed_in_client, user):
    first = AddressFactory(user=user, is_primary=True)
    second = AddressFactory(user=user)
    response = signed_in_client.post(reverse("accounts:address_make_primary", args=[second.pk]), follow=True)
    assert "is now your primary address" in response.content.decode()
    assert list(Address.objects.filter(user=user, is_primary=True)) == [second]

    confirm = signed_in_client.get(reverse("accounts:address_delete", args=[second.pk]))
    assert "Delete this address?" in confirm.content.decode()
    response = signed_in_client.post(reverse("accounts:address_delete", args=[second.pk]), follow=True)
    assert "Your primary address is now" in response.content.decode()
    assert list(Address.objects.filter(user=user)) == [first]
    first.refresh_from_db()
    assert first.is_primary


def test_make_primary_is_post_only(signed_in_client, user):
    address = AddressFactory(user=user)
    assert signed_in_client.get(reverse("accounts:address_make_primary", args=[address.pk])).status_code == 405


def test_another_users_address_is_a_404_on_every_page_and_stays_unchanged(signed_in_client, user):
    theirs = AddressFactory(is_primary=True, city="Rome")
    AddressFactory(user=theirs.user)
    for name, method in [
        ("accounts:address_edit", "get"),
        ("accounts:address_edit", "post"),
        ("accounts:address_delete", "get"),
        ("accounts:address_delete", "post"),
        ("accounts:address_make_primary", "post"),
    ]:
        response = getattr(signed_in_client, method)(reverse(name, args=[theirs.pk]), {**ADDRESS_FORM, "city": "X"})
        assert response.status_code == 404, (name, method)
    theirs.refresh_from_db()
    assert theirs.city == "Rome" and theirs.is_primary
    assert Address.objects.filter(user=theirs.user).count() == 2
    assert theirs.city not in signed_in_client.get(reverse("accounts:addresses")).content.decode()
