"""Keep the sign-in and guest records current without a write on every request."""

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from common.http import client_meta

from . import services

TOUCH_EVERY_SECONDS = 60


class UserSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or response.status_code >= 500:
            return response
        # Read the session before its key: loading a cookie's key that is not (or no longer) in
        # the store sets the key to None, and a guest row without a key is an IntegrityError.
        seen_at = session.get("_seen_at", 0)
        session_key = session.session_key
        if not session_key:
            return response
        now = time.time()
        if now - seen_at < TOUCH_EVERY_SECONDS:
            return response
        meta = client_meta(request)
        if request.user.is_authenticated:
            services.user_session_touch(session_key=session_key)
        else:
            services.guest_touch(session_key=session_key, **meta)
        session["_seen_at"] = now
        return response
