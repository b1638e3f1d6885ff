"""The header's cart link shows how many units the visitor's cart holds."""

import functools
from typing import Any

from django.http import HttpRequest

from .request import cart_owner
from .selectors import cart_item_count, cart_item_count_kept


def _guest_count(request: HttpRequest) -> int:
    owner = cart_owner(request)
    return cart_item_count(guest=owner.guest) if owner is not None and owner.guest is not None else 0


def cart(request: HttpRequest) -> dict[str, Any]:
    # Callables: the template calls them (once, in base.html), so pages without the header pay nothing.
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return {"cart_item_count": functools.partial(cart_item_count_kept, user=user)}
    session = getattr(request, "session", None)
    if session is None or not session.session_key:
        # A visitor who sent no session cookie has no guest: their pages stay shareable in the
        # public cache (their session is never read).
        return {}
    return {"cart_item_count": functools.partial(_guest_count, request)}
