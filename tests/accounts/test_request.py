"""`signed_in_user`: the user of a page or API request, or a refusal that fits the door."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request

from accounts.request import signed_in_user


def _page_request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def _api_request(user):
    request = Request(RequestFactory().get("/"))
    request.user = user
    return request


@pytest.mark.parametrize("make", [_page_request, _api_request])
def test_a_signed_in_request_gives_its_user(user, make):
    assert signed_in_user(make(user)) == user


def test_an_anonymous_page_request_is_permission_denied():
    with pytest.raises(PermissionDenied):
        signed_in_user(_page_request(AnonymousUser()))


def test_an_anonymous_api_request_is_not_authenticated():
    with pytest.raises(NotAuthenticated):
        signed_in_user(_api_request(AnonymousUser()))
