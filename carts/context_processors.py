"""The header's cart link shows how many units the signed-in customer's cart holds."""

import functools
from typing import Any

from django.http import HttpRequest

from .selectors import cart_item_count_kept


def cart(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}  # visitors have no cart, and their pages stay shareable in the public cache
    # A callable: the template calls it (once, in base.html), so pages without the header pay nothing.
    return {"cart_item_count": functools.partial(cart_item_count_kept, user=user)}
