"""gzip for the shop's own answers: HTML pages and API JSON, cached or freshly rendered.

Right inside `PublicCacheMiddleware`, so it compresses the response every other middleware
finished, the public cache's hits included. The public cache stores the view's uncompressed answer (see
common/public_cache.py), so one entry serves clients with and without gzip and its key needs no
`Accept-Encoding`; the compressed answer says `Vary: Accept-Encoding` for any cache downstream.

Only rendered answers in memory are compressed. Streaming answers are left alone: static files
(WhiteNoise serves the .br/.gz copies `collectstatic` made, with their own `Vary`) and downloads.

BREACH (guessing a secret in a compressed body from its length, with attacker-chosen text
reflected beside it): the secrets our pages carry are CSRF tokens, and Django masks the token
with a fresh random value in every response, so no two answers carry the same bytes to guess;
Django's GZipMiddleware also adds up to 100 random bytes to every gzip header ("Heal the
Breach"), so lengths are noisy. Session cookies and JWTs travel in headers, which are not
compressed; the token endpoints answer freshly minted tokens each time. So every page is
compressed, the signed-in ones included.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.middleware.gzip import GZipMiddleware as DjangoGZipMiddleware

# What is worth compressing; images other than SVG, fonts and archives are already compressed.
COMPRESSIBLE_TYPES = ("text/", "application/json", "application/javascript", "application/xml", "image/svg+xml")
COMPRESSIBLE_SUFFIXES = ("+json", "+xml")


def _compressible(response: HttpResponseBase) -> bool:
    content_type = response.get("Content-Type", "").split(";", 1)[0].strip().lower()
    return content_type.startswith(COMPRESSIBLE_TYPES) or content_type.endswith(COMPRESSIBLE_SUFFIXES)


class GZipMiddleware(DjangoGZipMiddleware):
    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if response.streaming or not _compressible(response):
            return response
        return super().process_response(request, response)
