"""Who is asking: the signed-in user of a page or API request."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request

from .models import User


def signed_in_user(request: HttpRequest | Request) -> User:
    """The request's user, for a view that only a signed-in user reaches.

    Those views are login-protected already; this is the safety net should one not be.

    Raises: NotAuthenticated (a 401) for an API request, PermissionDenied (a 403) for a page.
    """
    user = request.user
    if isinstance(user, User):
        return user
    if isinstance(request, Request):
        raise NotAuthenticated()
    raise PermissionDenied
