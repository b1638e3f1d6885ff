"""The cached popular products, and the one place that marks them stale.

Every cached popular-products answer (the selector's rows for the home page, the API's whole
body) is stored under the current generation of the `popular` scope of the day (see
common/public_cache.py). A write that changes what was sold (a cancellation, a rollup) bumps it
right after its commit, so the next read misses and counts afresh; new sales show within
`POPULAR_PRODUCTS_CACHE_SECONDS`. When the cache does not answer, nothing is read from or stored
in it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from common.public_cache import generations_bump, generations_current


def popular_scope() -> str:
    # A new UTC day is a new window ("the last N calendar days"): a new scope, so nothing
    # counted for yesterday's window is served today.
    return f"popular:{timezone.now().date().isoformat()}"


def popular_scopes(request: HttpRequest, **kwargs: Any) -> list[str]:
    return [popular_scope()]


def popular_cache_key(*, kind: str, days: int, limit: int) -> str | None:
    """The key of a cached popular-products answer of this kind now, or None without a cache."""
    scope = popular_scope()
    generations = generations_current([scope])
    if generations is None:
        return None
    return f"popular-products:{kind}:{scope}:{generations[scope]}:{days}:{limit}"


def popular_products_changed() -> None:
    """Make every cached popular-products answer stale, once the current transaction commits."""
    generations_bump([popular_scope()])
