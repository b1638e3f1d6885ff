"""Small request helpers shared at the edge: pages, API views, middleware and signal receivers.

`client_address` is the one place that says who the client is. django-axes (the sign-in
lockout), the API throttles and every recorded sign-in, guest and order use it, so they all agree;
services take the plain values (`client_meta`), never the request.
"""

from typing import Any, TypedDict

from django.conf import settings
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
from ipware import get_client_ip

USER_AGENT_MAX_LENGTH = 512


class ClientMeta(TypedDict):
    user_agent: str
    ip_address: str | None


def client_address(request: HttpRequest | Any) -> str | None:
    """The client's IP address, as the deployment's proxies report it (None when unknown).

    With `NUM_PROXIES=0` (the default) it is the peer address and no header is read: any header
    could come from the client. Behind proxies, `NUM_PROXIES` says how many there are and
    `CLIENT_IP_HEADERS` which header they set (e.g. `HTTP_X_FORWARDED_FOR,REMOTE_ADDR`): the
    address that many hops from the right is the client's, so entries a client adds on the left
    cannot change it. django-ipware does the parsing and validation; without a valid header
    value, the peer address.

    Accepts a DRF `Request` too (it reads `META` through to the Django request).
    """
    meta = getattr(request, "META", None) or {}
    proxies = settings.CLIENT_IP_PROXY_COUNT
    if proxies <= 0:
        # No proxy in front: a forwarded-for header can only come from the client; ignore it.
        address = meta.get("REMOTE_ADDR") or None
        return address
    try:
        # The nearest proxy is the peer (REMOTE_ADDR) and does not list itself in the header, so
        # ipware's count of proxies *in the header* is one less (DRF's NUM_PROXIES agrees).
        address, _routable = get_client_ip(
            request,
            proxy_count=proxies - 1,
            request_header_order=settings.CLIENT_IP_HEADERS,
            # Not strict: a client may send its own header, and the proxies append to it; the
            # count from the right still finds the address the nearest proxy saw.
            strict=False,
        )
    except ValueError:  # a configuration ipware refuses: the peer, as without proxies
        address = None
    if address is None:
        # No valid address where the proxies should have put it (a request that bypassed them,
        # or a malformed header): the peer's own, never a guess from the client's headers.
        address = meta.get("REMOTE_ADDR") or None
    return address


def client_meta(request: HttpRequest | Any) -> ClientMeta:
    """The user agent and client address, as the services that record them take them."""
    return {
        "user_agent": str(getattr(request, "META", {}).get("HTTP_USER_AGENT", ""))[:USER_AGENT_MAX_LENGTH],
        "ip_address": client_address(request),
    }


def same_site_url(request: HttpRequest, *candidates: str | None) -> str | None:
    """The first candidate that is a URL of this site (never an open redirect), else None.

    For a form's `next` field and the referrer: where to send the shopper back to.
    """
    for candidate in candidates:
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return None


def is_api_request(request: HttpRequest) -> bool:
    """Under /api/: the REST API's answers (JSON errors, no pages), not the shop's pages."""
    return request.path.startswith("/api/")
