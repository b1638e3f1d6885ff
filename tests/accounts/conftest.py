"""Fixtures for the accounts tests: real sign-ins through the real doors, no shortcuts."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories.accounts import DEFAULT_PASSWORD, CustomerFactory


def page_sign_in(client: Client, email: str, password: str = DEFAULT_PASSWORD, **extra):
    """Sign in through the sign-in page, as a browser does."""
    return client.post(reverse("accounts:login"), {"username": email, "password": password}, **extra)


def api_sign_in(client: APIClient, email: str, password: str = DEFAULT_PASSWORD, **extra):
    return client.post(reverse("accounts_api:token"), {"email": email, "password": password}, format="json", **extra)


@pytest.fixture
def user(db):
    return CustomerFactory(user__primary_address=False).user  # an empty address book: these tests fill it


@pytest.fixture
def signed_in_client(client, user):
    response = page_sign_in(client, user.email)
    assert response.status_code == 302, response.content
    return client


@pytest.fixture
def tokens(api_client, user):
    response = api_sign_in(api_client, user.email)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def jwt_client(tokens):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client
