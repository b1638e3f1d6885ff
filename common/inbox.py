"""The user's in-app notifications: the outbox rows of channel "in_app" (`common.outbox` writes one
beside each e-mail of an `in_app` kind), as the account's list, the header's unread count and the
API show them, and the two writes a user makes on them (mark one read, mark all read).

Every read and write goes through the user (`user=…` in the filter), so another user's id finds
nothing: a 404, never a 403 that tells it exists. A row the sender skipped (nothing to say any
more: its order is gone) is not shown.
"""

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .exceptions import NotFoundError
from .models import Channel, DeliveryStatus, Notification
from .outbox import notification_kind
from .public_cache import customer_bump, customer_value

NOTIFICATIONS_PER_PAGE = 20


class NotificationNotFoundError(NotFoundError):
    default_message = _("No such notification.")


# --- reads ---------------------------------------------------------------------------------------


def inbox_of(*, user: Any) -> QuerySet[Notification]:
    """The user's in-app notifications, newest first (served by the `notification_inbox` index)."""
    return (
        Notification.objects.filter(user=user, channel=Channel.IN_APP)
        .exclude(status=DeliveryStatus.SKIPPED)
        .order_by("-id")
    )


def inbox_unread_count(*, user: Any) -> int:
    """How many of the user's in-app notifications are unread: one COUNT (the header's badge)."""
    return inbox_of(user=user).filter(read_at__isnull=True).count()


def inbox_unread_count_kept(*, user: Any) -> int:
    """`inbox_unread_count`, kept under the user's generation (`customer_value`): the header shows
    it on every signed-in page. What changes it bumps: a new in-app row (`notification_queue`), a
    row the sender skips, and marking read (below)."""
    return customer_value(user.pk, "inbox:unread", lambda: inbox_unread_count(user=user))


def notification_headline(notification: Notification) -> str:
    """What the notification says in one line: its subject line once sent, until then the kind's name."""
    return notification.title or _kind_label(notification)


def notification_link(notification: Notification) -> str | None:
    """The page the notification is about ("/orders/12/"), or None. No query: built from ids."""
    try:
        kind = notification_kind(notification.kind)
    except LookupError:
        return None
    return kind.link(notification) if kind.link is not None else None


def _kind_label(notification: Notification) -> str:
    try:
        return notification_kind(notification.kind).label
    except LookupError:
        return notification.kind


# --- writes --------------------------------------------------------------------------------------


def notification_mark_read(*, user: Any, notification_id: int) -> Notification:
    """Mark one of the user's in-app notifications read; the first reading time is kept.

    Raises NotificationNotFoundError for an id that is not one of the user's in-app notifications.
    """
    mine = inbox_of(user=user).filter(pk=notification_id)
    # One conditional UPDATE: two tabs marking it at once keep the first time.
    if mine.filter(read_at__isnull=True).update(read_at=timezone.now()):
        customer_bump(user.pk)  # the header's unread count
    notification = mine.first()
    if notification is None:
        raise NotificationNotFoundError()
    return notification


def notifications_mark_all_read(*, user: Any) -> int:
    """Mark every unread in-app notification of the user read; how many were unread."""
    marked = inbox_of(user=user).filter(read_at__isnull=True).update(read_at=timezone.now())
    if marked:
        customer_bump(user.pk)  # the header's unread count
    return marked
