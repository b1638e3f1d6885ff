"""Signing in and out on the pages: lockout, session keys, password reset and change, sign-ins."""

import re

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Guest, SessionKind, UserSession
from tests.factories.accounts import DEFAULT_PASSWORD, UserFactory

from .conftest import api_sign_in, page_sign_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-42"
LOCKOUT_TEXT = "Too many failed sign-in attempts for this account"


def main_of(response) -> str:
    """The page's main content (the header carries a per-response CSRF token)."""
    return re.search(r"<main.*</main>", response.content.decode(), re.S).group(0)


def is_signed_in(client: Client) -> bool:
    return client.get(reverse("accounts:overview")).status_code == 200


# --- sign in and out --------------------------------------------------------------------------


def test_sign_in_with_email_in_any_case_lands_on_the_account_and_records_the_sign_in(client, user):
    response = page_sign_in(client, user.email.upper(), HTTP_USER_AGENT="Firefox/130", REMOTE_ADDR="192.0.2.10")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:overview")
    sign_in = UserSession.objects.get(user=user)
    assert sign_in.kind == SessionKind.WEB
    assert sign_in.session_key == client.session.session_key
    assert (sign_in.user_agent, sign_in.ip_address) == ("Firefox/130", "192.0.2.10")


def test_wrong_password_shows_a_clear_error_and_does_not_sign_in(client, user):
    response = page_sign_in(client, user.email, "wrong-password")
    assert response.status_code == 200
    assert "That email and password do not match an account." in response.content.decode()
    assert not is_signed_in(client)
    assert not UserSession.objects.exists()


def test_sign_in_cycles_the_session_key(client, user):
    session = client.session
    session["seen"] = True
    session.save()
    anonymous_key = session.session_key
    client.cookies[settings.SESSION_COOKIE_NAME] = anonymous_key

    page_sign_in(client, user.email)

    signed_in_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert signed_in_key and signed_in_key != anonymous_key
    assert not Session.objects.filter(session_key=anonymous_key).exists()
    assert is_signed_in(client)


def test_sign_out_is_a_post_and_closes_the_sign_in(signed_in_client, user):
    assert signed_in_client.get(reverse("accounts:logout")).status_code == 405
    response = signed_in_client.post(reverse("accounts:logout"), follow=True)
    assert "You are signed out." in response.content.decode()
    assert not is_signed_in(signed_in_client)
    assert not UserSession.objects.get(user=user).is_active


def test_signed_in_users_visiting_sign_in_go_to_their_account(signed_in_client):
    response = signed_in_client.get(reverse("accounts:login"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:overview")


# --- lockout ----------------------------------------------------------------------------------


def test_after_ten_failures_even_the_right_password_is_refused_with_the_lockout_page(client, user):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        # A different forwarded-for header each time: it must not spread the count.
        response = page_sign_in(client, user.email, "wrong-password", HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}")
    assert response.status_code == 429

    response = page_sign_in(client, user.email, DEFAULT_PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99")

    assert response.status_code == 429
    html = response.content.decode()
    assert LOCKOUT_TEXT in html
    assert reverse("accounts:password_reset") in html
    assert not is_signed_in(client)


def test_lockout_is_per_account_from_any_address(user):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        page_sign_in(Client(), user.email, "wrong-password", REMOTE_ADDR=f"192.0.2.{attempt + 1}")
    response = page_sign_in(Client(), user.email, DEFAULT_PASSWORD, REMOTE_ADDR="198.51.100.1")
    assert response.status_code == 429
    # Another account, from another address, is not affected.
    other = UserFactory(primary_address=False)
    assert page_sign_in(Client(), other.email, DEFAULT_PASSWORD, REMOTE_ADDR="198.51.100.2").status_code == 302


def test_a_success_before_the_limit_clears_the_count(client, user):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        page_sign_in(client, user.email, "wrong-password")
    assert page_sign_in(client, user.email).status_code == 302
    client.post(reverse("accounts:logout"))
    assert page_sign_in(client, user.email, "wrong-password").status_code == 200


def test_page_and_api_share_the_lockout(client, api_client, user):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api_sign_in(api_client, user.email, "wrong-password")
    response = page_sign_in(client, user.email)
    assert response.status_code == 429
    assert LOCKOUT_TEXT in response.content.decode()


# --- password reset ---------------------------------------------------------------------------


def test_password_reset_gives_the_same_answer_for_known_and_unknown_emails(client, user):
    known = client.post(reverse("accounts:password_reset"), {"email": user.email}, follow=True)
    unknown = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain == [(reverse("accounts:password_reset_done"), 302)]
    assert main_of(known) == main_of(unknown)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]


def test_password_reset_with_a_malformed_email_shows_the_error(client):
    response = client.post(reverse("accounts:password_reset"), {"email": "nope"})
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert not mail.outbox


def test_password_reset_link_sets_a_new_password_and_ends_every_sign_in(client, user):
    other_browser = Client()
    page_sign_in(other_browser, user.email)
    client.post(reverse("accounts:password_reset"), {"email": user.email})
    link = re.search(r"https?://[^/]+(/accounts/password-reset/\S+/\S+/)", mail.outbox[0].body).group(1)

    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]

    weak = client.post(set_url, {"new_password1": "short", "new_password2": "short"})
    assert "This password is too short" in weak.content.decode()
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)

    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True)
    assert done.redirect_chain[-1][0] == reverse("accounts:password_reset_complete")
    assert "Your new password is set" in done.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not is_signed_in(other_browser)
    assert not UserSession.objects.filter(user=user, is_active=True).exists()

    # The link works once.
    again = client.get(link, follow=True)
    assert "This link no longer works" in again.content.decode()


# --- password change --------------------------------------------------------------------------


def test_password_change_keeps_this_browser_and_ends_the_others(signed_in_client, user, api_client):
    other_browser = Client()
    page_sign_in(other_browser, user.email)
    tokens = api_sign_in(api_client, user.email).json()

    response = signed_in_client.post(
        reverse("accounts:password_change"),
        {"old_password": DEFAULT_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    assert "your 2 other sign-ins were ended" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert is_signed_in(signed_in_client)
    assert not is_signed_in(other_browser)
    refresh = api_client.post(reverse("accounts_api:token_refresh"), {"refresh": tokens["refresh"]}, format="json")
    assert refresh.status_code == 401
    # The sign-in record follows this browser's new session key.
    active = UserSession.objects.get(user=user, is_active=True)
    assert active.session_key == signed_in_client.session.session_key


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"old_password": "wrong-one"}, "Your old password was entered incorrectly"),
        ({"new_password2": "does-not-match-at-all"}, "didn\u2019t match"),
        ({"new_password1": "1234567890", "new_password2": "1234567890"}, "too common"),
    ],
)
def test_password_change_with_bad_input_keeps_the_old_password(signed_in_client, user, data, error):
    form = {"old_password": DEFAULT_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD, **data}
    response = signed_in_client.post(reverse("accounts:password_change"), form)
    assert response.status_code == 200
    assert error in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


# --- sign-ins list ----------------------------------------------------------------------------


def test_sessions_page_lists_sign_ins_and_marks_this_device(signed_in_client, user, api_client):
    api_sign_in(api_client, user.email, HTTP_USER_AGENT="ShopApp/3.1 (Android)")
    html = signed_in_client.get(reverse("accounts:sessions")).content.decode()
    assert html.count("Sign out this session") == 2
    assert "ShopApp/3.1 (Android)" in html
    assert html.count("This device") == 1


def test_signing_out_another_session_makes_that_browser_anonymous(signed_in_client, user):
    other_browser = Client()
    page_sign_in(other_browser, user.email)
    other = UserSession.objects.get(session_key=other_browser.session.session_key)

    response = signed_in_client.post(reverse("accounts:session_end", args=[other.pk]), follow=True)

    assert "That sign-in was ended" in response.content.decode()
    assert not is_signed_in(other_browser)
    assert other_browser.get(reverse("accounts:overview")).wsgi_request.user.is_anonymous
    assert is_signed_in(signed_in_client)
    other.refresh_from_db()
    assert not other.is_active


def test_signing_out_this_session_from_the_list_signs_you_out(signed_in_client, user):
    mine = UserSession.objects.get(user=user)
    response = signed_in_client.post(reverse("accounts:session_end", args=[mine.pk]))
    assert response["Location"] == reverse("accounts:login")
    assert not is_signed_in(signed_in_client)


def test_another_users_session_is_a_404_and_stays_signed_in(signed_in_client, other_user):
    victim = Client()
    page_sign_in(victim, other_user.email)
    theirs = UserSession.objects.get(user=other_user)
    assert signed_in_client.post(reverse("accounts:session_end", args=[theirs.pk])).status_code == 404
    assert is_signed_in(victim)
    theirs.refresh_from_db()
    assert theirs.is_active
    assert signed_in_client.get(reverse("accounts:session_end", args=[theirs.pk])).status_code == 405


def test_an_anonymous_visitor_with_a_session_is_recorded_as_a_guest(client):
    session = client.session
    session["cart"] = "something"
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    client.get(reverse("accounts:login"), HTTP_USER_AGENT="Safari/17")
    guest = Guest.objects.get(session_key=session.session_key)
    assert guest.user_agent == "Safari/17"
