"""Who may use the cart API: anyone (a guest's cart lives in their session), with Django's CSRF
check for a session client that is not signed in; checkout needs a customer."""

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class GuestSessionCsrf(BasePermission):
    """A request that sends a session cookie without being signed in acts for the session's guest:
    its writes must pass the CSRF check, as a signed-in session's do (DRF's SessionAuthentication
    checks only those). A JWT client is a customer and sends no ambient credential; a visitor
    with no session cookie has no cart to ride on (their first write starts one)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.user.is_authenticated or settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return True
        SessionAuthentication().enforce_csrf(request)  # PermissionDenied (403) "CSRF Failed: …"
        return True


class CustomerRequired(BasePermission):
    """A signed-in customer (JWT or session); a guest is asked to sign in (401), keeping the cart."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.user.is_authenticated:
            return True
        raise NotAuthenticated(
            _("Sign in or create an account to check out: your cart is kept and joins your account's cart.")
        )
