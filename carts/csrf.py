"""CSRF for "Add to cart" from a page the public cache shares.

A visitor without a session gets the product page from the public cache, so its form cannot
carry a CSRF token (a token is the visitor's own; a page that hands one out is never shared).
Their first add is checked as Go's `CrossOriginProtection` and the Fetch Metadata guidance do:
the browser's `Sec-Fetch-Site` must say same-origin, or its `Origin` (else `Referer`) must be
this site. A cross-site form post always carries a foreign `Origin` (and `Sec-Fetch-Site:
cross-site`), so it is refused: it could otherwise put items in a new guest cart and, since the
`Lax` session cookie is not sent with it, replace the victim's session cookie.

Every request that carries a token, and every signed-in one, gets Django's own check unchanged.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt

REASON_CROSS_SITE = "A visitor's request without a CSRF token must come from this site."


def _origin_of(url: str) -> tuple[str, str] | None:
    parts = urlsplit(url)
    return (parts.scheme, parts.netloc.lower()) if parts.scheme and parts.netloc else None


def same_origin(request: HttpRequest) -> bool:
    """Whether the browser says this request was sent by one of this site's pages."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    ours = (request.scheme, request.get_host().lower())
    origin = request.headers.get("Origin")
    if origin is not None:
        return _origin_of(origin) == ours
    referer = request.headers.get("Referer")
    return referer is not None and _origin_of(referer) == ours


def _carries_token(request: HttpRequest) -> bool:
    return bool(request.POST.get("csrfmiddlewaretoken") or request.META.get(settings.CSRF_HEADER_NAME))


def token_or_same_origin(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Django's CSRF check, except for a visitor's request without a token: same-origin only."""

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated or _carries_token(request):
            refused = CsrfViewMiddleware(lambda r: HttpResponse()).process_view(request, view, (), {})
            if refused is not None:
                return refused
        elif not getattr(request, "_dont_enforce_csrf_checks", False) and not same_origin(request):
            return import_string(settings.CSRF_FAILURE_VIEW)(request, reason=REASON_CROSS_SITE)
        return view(request, *args, **kwargs)

    return csrf_exempt(checked)
