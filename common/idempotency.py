"""Idempotency keys, one way for every idempotent write: clean the key, fingerprint the request,
replay the first answer or refuse.

A service that takes a key stores it, with the request's fingerprint, on the row its first
answer made (an order, a wallet entry). Something makes a second request with the same key find
that row: a unique index on the key (orders: the insert fails, then the row is read) or a lock
taken before looking (the wallet top-up). Found, the row is the answer when the fingerprint
matches, and IdempotencyKeyReuseError (422) when the key came with another request.

No DRF here: services import it. The HTTP header's spelling rule and its schema live in
`common.api.idempotency`.
"""

import hashlib
import json
import string
from typing import Protocol, TypeVar

from .exceptions import IdempotencyKeyReuseError

IDEMPOTENCY_KEY_MAX_LENGTH = 255  # the `idempotency_key` columns' max_length
IDEMPOTENCY_KEY_CHARS = frozenset(string.ascii_letters + string.digits + "-_.:")


class Fingerprinted(Protocol):
    """A row that keeps the fingerprint of the request that made it."""

    request_fingerprint: str


Row = TypeVar("Row", bound=Fingerprinted)


def idempotency_key_clean(key: str | None) -> str | None:
    """The key as stored: surrounding spaces removed, at most IDEMPOTENCY_KEY_MAX_LENGTH
    characters; None for no key or a blank one (then the request is not idempotent)."""
    return (key or "").strip()[:IDEMPOTENCY_KEY_MAX_LENGTH] or None


def request_fingerprint(operation: str, /, **request: object) -> str:
    """A digest of what a request asks for (the operation and its meaningful, normalised fields,
    never the key itself): equal requests give equal fingerprints, whatever order fields came in."""
    body = json.dumps({"operation": operation, "request": request}, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def idempotent_replay(earlier: Row | None, *, fingerprint: str) -> Row | None:
    """The row an earlier request with this key made, to answer with again; None when there is none.

    Raises IdempotencyKeyReuseError when that request was a different one.
    """
    if earlier is not None and earlier.request_fingerprint != fingerprint:
        raise IdempotencyKeyReuseError()
    return earlier
