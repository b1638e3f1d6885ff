"""Sign-in lockout hooks for django-axes, shared by the sign-in page and the token API.

Failures are counted per email address (lower-cased), never per forwarded-for header.
"""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def signin_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The email a sign-in attempt is for, whichever door it came through."""
    for source in (credentials or {}, getattr(request, "POST", {}) or {}):
        value = source.get("email") or source.get("username")
        if value:
            return str(value).strip().lower()
    data = getattr(request, "data", None)
    if isinstance(data, dict):
        value = data.get("email") or data.get("username")
        if value:
            return str(value).strip().lower()
    return None


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _(
        "Too many failed sign-in attempts for this account. Try again in %(minutes)d minutes, or reset your password."
    ) % {"minutes": minutes}


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "locked_out", "message": lockout_message()}, status=429)
    return render(request, "accounts/locked_out.html", {"message": lockout_message()}, status=429)


def record_api_sign_in(request: HttpRequest, user: Any) -> None:
    """Tell django-axes about a successful token sign-in, as the `user_logged_in` signal does for
    the sign-in page: it logs the access and (AXES_RESET_ON_SUCCESS) clears the failure count.

    The signal itself is not sent: its other receivers would record a browser session. Nor may
    axes open one (it creates a session to log its key): a token sign-in sets no `sessionid`
    cookie and leaves no guest row, so the app's later anonymous reads stay cacheable.
    """
    from axes.handlers.proxy import AxesProxyHandler

    # axes logs an empty session hash for a request without a session.
    session = request.__dict__.pop("session", None)
    try:
        AxesProxyHandler.user_logged_in(sender=type(user), request=request, user=user)
    finally:
        if session is not None:
            request.session = session
