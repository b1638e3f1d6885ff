"""The page frame's per-visitor values: the unread notifications of the signed-in user, and (for
Jinja2 pages) one CSRF token a page."""

import functools
from typing import Any

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.defaulttags import CsrfTokenNode
from django.utils.functional import SimpleLazyObject

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


def csrf_once(request: HttpRequest) -> dict[str, Any]:
    """`csrf_token` and `csrf_input` of a Jinja2 page, masked once a page as in Django's templates
    (the Jinja2 backend's own mask a new token at every form). Lazy: a page without a form hands
    out no token, so the public cache may keep it (common/public_cache.py)."""
    token = SimpleLazyObject(lambda: get_token(request))
    return {"csrf_token": token, "csrf_input": csrf_field(token)}


def csrf_field(token: Any) -> Any:
    """The form field of a page's CSRF token (lazy: masked, if at all, when first shown), by
    Django's own `{% csrf_token %}`; for the Jinja2 pages and parts."""
    # A plain dict is all the node reads; the token as text (a lazy object costs its every use).
    return SimpleLazyObject(lambda: CsrfTokenNode().render({"csrf_token": str(token)}))  # type: ignore[arg-type]  # duck-typed: .get()
