"""Keep the sign-in and guest records current without a write on every request, and read a
signed-in visitor's user first."""

import time
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.middleware import get_user
from django.http import HttpRequest, HttpResponse

from common.http import client_meta, is_api_request

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


class UserFirstMiddleware:
    """Read a signed-in visitor's user before the page does, so one Redis round trip brings the
    generations of both the user's own values and the catalogue's.

    The kept user (`accounts.selectors.user_for_request`) is read under the customer's own
    generation; a GET's first generations read also fetches the scopes most pages read
    (`common.public_cache.generations_prefetch`). A catalogue page read the catalogue's first, then
    the header read the user's: two round trips. Only for page requests that send a session
    cookie (their frame reads the user anyway); not the API, whose answers for everyone must not
    read a session they would then vary on.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., HttpResponse], args: Sequence[Any], kwargs: dict[str, Any]
    ) -> None:
        # Once the URL is resolved, after PublicCacheMiddleware.process_view: the view has said what
        # it will read (a product page, its product), and the session's read brings that too.
        if (
            request.method in ("GET", "HEAD")
            and settings.SESSION_COOKIE_NAME in request.COOKIES
            and not is_api_request(request)
        ):
            # The user itself, loaded now, in place of the auth middleware's lazy wrapper: a page
            # reads `user` some forty times, each a call through the wrapper.
            request.user = get_user(request)
