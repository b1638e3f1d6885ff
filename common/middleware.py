"""`Cache-Control` for what is personal, in one place: a shared proxy or CDN keeps none of it.

- The account, wallet, order and cart pages and their API answers (the token endpoints
  included) get `no-store` (Django's `add_never_cache_headers`): not even the browser keeps
  them, so nobody reads them back from a shared computer's cache.
- Every other answer to a signed-in visitor gets `private` unless it already says `private` or
  `no-store`. Signed in means: the request carries a session cookie or an `Authorization` header
  (whatever they turn out to hold: the answer may show it), the request's user is authenticated
  (a JWT the API accepted, a sign-in during this request), or the answer sets a cookie.
- Anonymous answers keep their own headers, the public cache's included.

Placed right after WhiteNoise, so static files keep their long public caching, and outside the
session, CSRF and messages middleware, so it sees every cookie they set.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control

# URL namespaces whose every answer is no-store: the account, wallet, order and cart pages, and
# the account (me, addresses, preferences, sessions, tokens), wallet and order API.
NO_STORE_NAMESPACES = frozenset(
    {"accounts", "accounts_api", "payments", "payments_api", "orders", "orders_api", "carts"}
    | {"carts_api"}  # Carts (issue 15): the cart API
)
# And elsewhere: the customer's own coupons (/api/v1/me/coupons/).
NO_STORE_VIEWS = frozenset({"promotions_api:my_coupons"})
# Public answers inside those namespaces: the same for everyone (see common.public_cache).
SHARED_VIEWS = frozenset({"orders_api:products-popular"})
# Directives at least as strong as `private`.
PERSONAL_ENOUGH = frozenset({"private", "no-store"})


def _directives(response: HttpResponse) -> set[str]:
    return {part.split("=", 1)[0].strip().lower() for part in response.get("Cache-Control", "").split(",")}


def _no_store_area(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return False
    if match.view_name in NO_STORE_VIEWS:
        return True
    return match.namespace in NO_STORE_NAMESPACES and match.view_name not in SHARED_VIEWS


def _signed_in(request: HttpRequest, response: HttpResponse) -> bool:
    if settings.SESSION_COOKIE_NAME in request.COOKIES or "HTTP_AUTHORIZATION" in request.META:
        return True
    if response.cookies:
        return True
    # No session cookie: reading the user costs no query (an empty session, or the user the API
    # authenticated, which DRF puts on the request).
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class CacheControlMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if _no_store_area(request):
            add_never_cache_headers(response)
        elif not (_directives(response) & PERSONAL_ENOUGH) and _signed_in(request, response):
            patch_cache_control(response, private=True)
        return response
