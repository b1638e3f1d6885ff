"""Whole responses of public pages and endpoints, kept while the data behind them is unchanged.

A response is stored under the current *generation* of every scope it shows ("catalog",
"product:42"). A write bumps the generations of what it changed, right after its commit, so the
next read misses and renders fresh: pages stay live (stock, prices) without finding and deleting
entries. A hit costs one Redis round trip (the generations, one MGET) and is served from the
worker's own memory when it rendered or fetched that entry before, else from Redis.

Only what is the same for every visitor is served or stored:

- requests: GET or HEAD, no session cookie, no `Authorization` header, no pending messages (an
  anonymous visitor without a session; signed-in customers always get a live page);
- responses: 200, no cookie set, not varying on `Cookie` (a page that used its CSRF token does).

Entries also expire after `PUBLIC_CACHE_SECONDS`, which bounds how stale a page can be if a bump
was lost (Redis away at the moment of a commit). When Redis does not answer, nothing is served
from or stored in the cache: the page renders from the database.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import translation

logger = logging.getLogger(__name__)

GENERATION_PREFIX = "gen:"
ENTRY_PREFIX = "public:"
# The header a cached answer carries, so a reader (or a benchmark) can tell a hit from a render.
HIT_HEADER = "X-Public-Cache"

ScopesOf = Callable[..., Sequence[str]]


def _local():  # type: ignore[no-untyped-def]
    # The worker's own memory (locmem): a hit found here costs no second round trip to Redis.
    return caches["public_local"]


def _generation_key(scope: str) -> str:
    return f"{GENERATION_PREFIX}{scope}"


# --- generations -------------------------------------------------------------------------------


def generations_current(scopes: Sequence[str]) -> dict[str, int] | None:
    """The generation of each scope, starting missing ones; None when Redis does not answer."""
    keys = [_generation_key(scope) for scope in scopes]
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            # A fresh start (first use, or Redis lost its data) takes a value no earlier
            # generation had, so an entry stored before can never be mistaken for current.
            value: int | None = time.time_ns()
            added = cache.add(key, value, timeout=None)
            if added is None:
                return None  # Redis is away: django-redis fails open and answers None
            if not added:  # another worker started it first
                value = cache.get(key)
                if value is None:
                    return None
            found[key] = value
    return {scope: int(found[_generation_key(scope)]) for scope in scopes}


def _bump_now(scopes: Iterable[str]) -> None:
    for scope in set(scopes):
        key = _generation_key(scope)
        try:
            cache.incr(key)
        except ValueError:  # never read yet: nothing can be cached under it
            cache.add(key, time.time_ns(), timeout=None)


def generations_bump(scopes: Iterable[str]) -> None:
    """Make every entry stored under these scopes stale, once the current transaction commits.

    Outside a transaction it happens at once. After commit, not before: a reader between the
    bump and the commit would otherwise store the old rows under the new generation.
    """
    scopes = list(scopes)
    if not scopes:
        return
    # robust: a cache outage must not turn a committed write into an error; the entries expire.
    transaction.on_commit(functools.partial(_bump_now, scopes), robust=True)


# --- the view decorator ---------------------------------------------------------------------------


def _shared_request(request: HttpRequest, *, everyone: bool) -> bool:
    """True when the answer to this request is the same for every visitor who sends it."""
    if request.method not in ("GET", "HEAD"):
        return False
    return everyone or (
        settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and "HTTP_AUTHORIZATION" not in request.META
    )


def _shareable_response(response: HttpResponse) -> bool:
    if response.status_code != 200 or response.cookies or response.streaming:
        return False
    vary = {header.strip().lower() for header in response.get("Vary", "").split(",")}
    return "cookie" not in vary


def _entry_key(request: HttpRequest, generations: dict[str, int]) -> str:
    # The absolute URL: API pagination links name the host and scheme. htmx requests get
    # fragments, not pages.
    parts = [
        request.build_absolute_uri(),
        translation.get_language() or "",
        request.headers.get("HX-Request", ""),
        request.headers.get("HX-Target", ""),
        *(f"{scope}={value}" for scope, value in sorted(generations.items())),
    ]
    return ENTRY_PREFIX + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _response_from(entry: tuple[bytes, list[tuple[str, str]]]) -> HttpResponse:
    content, headers = entry
    response = HttpResponse(content)
    for name, value in headers:
        response[name] = value
    response[HIT_HEADER] = "hit"
    return response


def cache_public_response(scopes: ScopesOf, *, timeout: int | None = None, everyone: bool = False) -> Callable:
    """Decorate a view (function or `as_view()`): serve and store its shared answers.

    `scopes(request, **view_kwargs)` names what the answer shows. `timeout` (seconds) caps an
    entry's life below `PUBLIC_CACHE_SECONDS` for answers that also show data nobody bumps
    (new sales in popular products). `everyone`: the view never looks at who asks (no
    authentication at all), so signed-in requests may share the anonymous answer too.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not settings.PUBLIC_CACHE_ENABLED or not _shared_request(request, everyone=everyone):
                return view(request, *args, **kwargs)
            generations = generations_current(scopes(request, **kwargs))
            if generations is None:
                return view(request, *args, **kwargs)
            key = _entry_key(request, generations)
            entry = _local().get(key)
            if entry is None:
                entry = cache.get(key)
                if entry is not None:
                    _local().set(key, entry, _lifetime(timeout))
            if entry is not None:
                return _response_from(entry)
            response = view(request, *args, **kwargs)
            render = getattr(response, "render", None)
            if callable(render) and not getattr(response, "is_rendered", True):
                render()  # DRF and template responses render lazily
            if _shareable_response(response):
                # The view's own headers (type, caching, Vary); middleware adds the rest on every answer.
                entry = (response.content, list(response.items()))
                cache.set(key, entry, _lifetime(timeout))
                _local().set(key, entry, _lifetime(timeout))
                response[HIT_HEADER] = "miss"
            return response

        return wrapped

    return decorator


def _lifetime(timeout: int | None) -> int:
    return min(timeout or settings.PUBLIC_CACHE_SECONDS, settings.PUBLIC_CACHE_SECONDS)
