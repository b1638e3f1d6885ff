"""Fixtures shared by the app tests: users, and clients signed in as them.

An app's own `conftest.py` overrides one where its tests need another kind (the accounts tests'
`user` is a customer; the orders tests' `api` is a funded customer's).
"""

import os

import pytest
from rest_framework.test import APIClient

from config.celery import app as celery_app
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.factories.accounts import UserFactory


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def api_client():
    """An API client that is not signed in."""
    return APIClient()


@pytest.fixture
def api(user):
    """An API client signed in as `user` (session auth; JWT has its own test)."""
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def signed_in(client, user):
    """A browser signed in as `user`."""
    client.force_login(user)
    return client


@pytest.fixture
def staff_client(client, superuser):
    """A browser signed in as `superuser`, for the admin."""
    client.force_login(superuser)
    return client


# --- the browser ---------------------------------------------------------------------------------
# One session-wide instance: Playwright's sync API refuses a second `sync_playwright()` while one is
# open in the same thread, so every browser test (journeys, the header row) shares this one.


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is not installed at {CHROMIUM}; install it with: apt-get install chromium")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make for
    # set-up and checks are still plain synchronous calls.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _fresh_broker_connections() -> None:
    """Forget pooled broker connections, so the next publish connects to the broker configured now."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker_down():
    """Celery publishing for real (not eager) to a Redis port nobody listens on."""
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url", "broker_transport_options")}
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = "redis://127.0.0.1:9/0"
    celery_app.conf.broker_transport_options = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    _fresh_broker_connections()
    try:
        yield
    finally:
        celery_app.conf.update(saved)
        _fresh_broker_connections()
