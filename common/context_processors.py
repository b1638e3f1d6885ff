"""The header's notification link shows how many unread in-app notifications the signed-in user has."""

import functools
from typing import Any

from django.http import HttpRequest

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
