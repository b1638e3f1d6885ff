"""The session store (accounts.sessions): Django's cached_db, its read sharing the request's first
Redis round trip with the generations of the session's user. The hint of whose session it is
only says what to fetch with it: whatever the hint, the page is the session's own user's."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache, caches
from django.test import Client
from django.urls import reverse

from accounts import sessions
from accounts.models import UserSession
from accounts.services import user_session_end
from tests.factories.accounts import CustomerFactory

from .conftest import page_sign_in

pytestmark = pytest.mark.django_db(transaction=True)

PAGE = reverse("orders:list")


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.PUBLIC_CACHE_ENABLED = True
    caches["public_local"].clear()


def _signed_in(user) -> Client:
    client = Client()
    assert page_sign_in(client, user.email).status_code == 302
    return client


def _session_key(client: Client) -> str:
    return client.cookies["sessionid"].value


def test_a_wrong_hint_of_whose_session_it_is_still_shows_the_sessions_own_user():
    ann, bob = CustomerFactory().user, CustomerFactory().user
    client = _signed_in(ann)
    assert ann.email in client.get(reverse("accounts:overview")).content.decode()
    sessions._USER_OF_SESSION[_session_key(client)] = bob.pk  # as if the worker had it wrong
    page = client.get(reverse("accounts:overview")).content.decode()
    assert ann.email in page and bob.email not in page
    assert sessions._USER_OF_SESSION[_session_key(client)] == ann.pk  # learnt again from the session


def test_a_session_gone_from_redis_is_read_from_the_database_and_kept_again():
    user = CustomerFactory().user
    client = _signed_in(user)
    assert client.get(PAGE).status_code == 200
    key = sessions.SessionStore.cache_key_prefix + _session_key(client)
    cache.delete(key)
    assert client.get(PAGE).status_code == 200  # still signed in: the database had it
    assert cache.get(key)[SESSION_KEY] == str(user.pk)


def test_a_session_ended_elsewhere_signs_the_browser_out_at_its_next_page_whatever_the_hint():
    user = CustomerFactory().user
    client, other = _signed_in(user), _signed_in(user)
    for browser in (client, other):
        assert browser.get(PAGE).status_code == 200  # each session's user is known to this worker
    sign_in = UserSession.objects.get(user=user, session_key=_session_key(client))
    user_session_end(user=user, session_id=sign_in.pk)
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert other.get(PAGE).status_code == 200


def test_a_post_reads_its_session_on_its_own():
    """No GET, no shared first read: the session is read as Django's cached_db reads it."""
    user = CustomerFactory().user
    client = _signed_in(user)
    client.get(PAGE)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(PAGE).status_code == 302  # signed out
