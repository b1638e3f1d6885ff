"""The page frame's per-visitor values: the unread notifications of the signed-in user, and (for
Jinja2 pages) one CSRF token a page."""

import functools
import os
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token
from django.template.defaulttags import CsrfTokenNode

from .inbox import inbox_unread_count_kept


def notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        # Visitors have no notifications, and their pages stay shareable in the public cache;
        # a signed-in page is never kept for anyone else (common.middleware, common.public_cache).
        return {}
    # A callable: the badge's template calls it once, so pages without the header pay nothing;
    # kept per user (one Redis read instead of a COUNT), bumped by whatever changes it.
    return {"unread_notification_count": functools.partial(inbox_unread_count_kept, user=user)}


def csrf_once(request: HttpRequest) -> dict[str, Any]:
    """`csrf_token` and `csrf_input` of a Jinja2 page, masked once a page as in Django's templates
    (the Jinja2 backend's own mask a new token at every form). Lazy: a page without a form hands
    out no token, so the public cache may keep it (common/public_cache.py)."""
    token = TextOnFirstUse(lambda: page_csrf_token(request))
    return {"csrf_token": token, "csrf_input": csrf_field(token)}


class TextOnFirstUse:
    """Text made when first shown, then kept: a page's CSRF token. Lazy as Django's
    SimpleLazyObject, but a use is one method call, where the proxy's every use (markupsafe's
    `__html__` check, `str()`) ran through several Python frames: a cart page shows its token in
    fourteen forms."""

    __slots__ = ("_make", "_text")

    def __init__(self, make: Callable[[], str]) -> None:
        self._make: Callable[[], str] | None = make
        self._text = ""

    def __str__(self) -> str:
        if self._make is not None:
            self._text, self._make = str(self._make()), None
        return self._text


class HtmlOnFirstUse(TextOnFirstUse):
    """`TextOnFirstUse` for HTML that is safe as made (a form field): templates do not escape it."""

    __slots__ = ()

    def __html__(self) -> str:
        return str(self)


def page_csrf_token(request: HttpRequest) -> str:
    """Django's `get_token`: the visitor's CSRF secret, masked afresh (so the page's bytes give no
    hint of it, BREACH), and the cookie sent again. For a visitor who has the cookie, masked here
    the same way from one read of the OS's randomness: Django's draws each of its 32 characters
    through `secrets.choice`, 50 µs a page. A visitor without one gets Django's own (it sets
    the cookie)."""
    secret = request.META.get("CSRF_COOKIE")
    if not secret or len(secret) != CSRF_SECRET_LENGTH:  # the middleware keeps only valid secrets
        return get_token(request)
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True  # as get_token: the cookie goes out again
    mask = _csrf_mask()
    cipher = "".join(
        _CSRF_CHARS[(_CSRF_INDEX[char] + shift) % _CSRF_BASE] for char, shift in zip(secret, mask, strict=True)
    )
    return "".join(_CSRF_CHARS[shift] for shift in mask) + cipher


_CSRF_CHARS = CSRF_ALLOWED_CHARS
_CSRF_BASE = len(_CSRF_CHARS)
_CSRF_INDEX = {char: index for index, char in enumerate(_CSRF_CHARS)}
# The largest multiple of the alphabet's length a byte holds: bytes from it up are drawn again, so
# every character of the mask is equally likely (no modulo bias).
_CSRF_BYTE_LIMIT = 256 - 256 % _CSRF_BASE


def _csrf_mask() -> list[int]:
    """CSRF_SECRET_LENGTH positions in the alphabet, uniform and independent (os.urandom)."""
    mask: list[int] = []
    while len(mask) < CSRF_SECRET_LENGTH:
        mask += [byte % _CSRF_BASE for byte in os.urandom(2 * CSRF_SECRET_LENGTH) if byte < _CSRF_BYTE_LIMIT]
    return mask[:CSRF_SECRET_LENGTH]


def csrf_field(token: Any) -> Any:
    """The form field of a page's CSRF token (lazy: masked, if at all, when first shown), by
    Django's own `{% csrf_token %}`; for the Jinja2 pages and parts."""
    # A plain dict is all the node reads; the token as text (a lazy object costs its every use).
    return HtmlOnFirstUse(lambda: CsrfTokenNode().render({"csrf_token": str(token)}))  # type: ignore[arg-type]  # duck-typed: .get()
