"""Small request helpers the page views share."""

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


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
