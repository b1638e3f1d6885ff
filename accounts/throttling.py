"""Sign-in lockout and rate limits, shared by the pages and the API.

The lockout is django-axes with the shop's handler: failures are counted per email address
(lower-cased) and, separately, per client address (`common.http.client_address`, never a header
the deployment does not trust), each against its own limit. A successful sign-in or a password
reset clears that account's own failures only.

The rate limits are DRF's scoped throttles keyed by the same client address; the sign-up page
draws on the same "register" budget as the API.
"""

from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework.throttling import ScopedRateThrottle

from common.http import client_address, is_api_request


def _normalized_username(value: str | None) -> str | None:
    return value.strip().lower() if value else None


def signin_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The email a sign-in attempt is for, whichever door it came through."""
    for source in (credentials or {}, getattr(request, "POST", {}) or {}):
        value = source.get("email") or source.get("username")
        if value:
            return _normalized_username(str(value))
    data = getattr(request, "data", None)
    if isinstance(data, dict):
        value = data.get("email") or data.get("username")
        if value:
            return _normalized_username(str(value))
    return None


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _(
        "Too many failed sign-in attempts for this account. Try again in %(minutes)d minutes, or reset your password."
    ) % {"minutes": minutes}


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    if is_api_request(request):
        return JsonResponse({"code": "locked_out", "message": lockout_message()}, status=429)
    return render(request, "accounts/locked_out.html", {"message": lockout_message()}, status=429)


def record_api_sign_in(request: HttpRequest, user: Any) -> None:
    """Tell django-axes about a successful token sign-in, as the `user_logged_in` signal does for
    the sign-in page: it logs the access and clears that account's own failures.

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


def sign_in_failures_clear(*, email: str) -> int:
    """Forget the failed sign-ins made against this account (from any address); returns how many
    records went. Never those an address made against other accounts."""
    username = _normalized_username(email)
    if not username:
        return 0
    deleted, _by_model = AccessAttempt.objects.filter(username=username).delete()
    return deleted


class SignInLockoutHandler(AxesDatabaseHandler):
    """django-axes' database handler with two separate limits and a reset that stays in its lane.

    Axes compares one figure (`get_failures`) with one limit (`AXES_FAILURE_LIMIT`, the
    per-account limit). This figure is the account's failure count, raised to that limit when
    the client address has reached the per-address limit; so either limit locks, each at its own
    count.
    """

    def _failures(self, attempts: Any) -> int:
        return int(attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0)

    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
        username = get_client_username(request, credentials)
        by_account = self._failures(recent.filter(username=username)) if username else 0
        address = getattr(request, "axes_ip_address", None)
        by_address = self._failures(recent.filter(ip_address=address)) if address else 0
        if by_address >= settings.SIGNIN_FAILURE_LIMIT_PER_ADDRESS:
            return max(by_account, settings.AXES_FAILURE_LIMIT)
        return by_account

    def user_logged_in(self, sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
        # Axes' own reset (AXES_RESET_ON_SUCCESS, off) would clear every failure of the address,
        # other accounts' too: an attacker's own sign-in would wipe the count against a victim.
        super().user_logged_in(sender, request, user, **kwargs)
        sign_in_failures_clear(email=user.get_username())


class ClientScopedRateThrottle(ScopedRateThrottle):
    """DRF's scoped throttle keyed by `common.http.client_address`, as the lockout is."""

    def get_ident(self, request: Any) -> str:
        return client_address(request) or ""


class _PageThrottleView:
    def __init__(self, scope: str) -> None:
        self.throttle_scope = scope


def page_rate_allowed(request: HttpRequest, *, scope: str) -> bool:
    """Count one request of a page against the API's throttle `scope` (the same rate setting, the
    same per-address budget); False once that budget is spent."""
    return ClientScopedRateThrottle().allow_request(request, _PageThrottleView(scope))  # type: ignore[arg-type]  # the throttle reads only the address and throttle_scope
