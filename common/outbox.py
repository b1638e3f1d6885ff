"""The shop's one outbox: every e-mail and every in-app notification it sends is a `Notification`
row written in the transaction of the change it tells about, sent after commit, and sent again by
the periodic task when the broker or the mail server was away.

A notification kind is declared once, in its app's `notifications.py` (found at start-up):

    notification_kind_register(
        "cart_abandoned",
        render=cart_abandoned_render,       # Notification -> RenderedMessage, or None: nothing to say
        preference="marketing_emails",      # OPTIONAL: the UserPreferences flag that lets the user say no
        in_app=True,                        # also shown in the account's notification list
    )

and queued with one call inside the service's transaction:

    notification_queue(kind="cart_abandoned", user=cart.customer.user, subject=cart,
                       dedupe_key=f"cart:{cart.pk}:abandoned", context={"cart_id": cart.pk})

which writes one row per channel: the e-mail, and (for an `in_app` kind sent to a user) the in-app
notification beside it, with the same dedupe key. Both go through the same sender: the e-mail is
handed to the mail server, the in-app row only gets its text written (then it is "sent").

Each kind is either TRANSACTIONAL (`preference=None`: about the user's own order, money or
account; always e-mailed) or OPTIONAL (names the preference that lets the user refuse its e-mail).
One sender (`notification_send`), one Celery send task and one resend task (`common.tasks`), and
one place that honours the recipient's preferences (`_opted_out`); in-app rows always appear.
"""

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import InterfaceError, OperationalError, connection, models, transaction
from django.db.models import Q, Subquery
from django.utils import timezone
from django.utils.functional import Promise

from .models import NOTIFICATION_BODY_MAX_LENGTH, Channel, DeliveryStatus, Notification
from .public_cache import customer_bump

logger = logging.getLogger(__name__)

# A claimed notification whose worker never said how it went (killed between the send and the
# record): sent again after this long, so a message is never lost, at the price of a rare second copy.
NOTIFICATION_CLAIM_TIMEOUT = dt.timedelta(minutes=10)
# How long a worker keeps trying to record a sent message while the database is away.
NOTIFICATION_RECORD_SECONDS = 60
# The resend task leaves rows alone this long: the after-commit send normally has them by then.
NOTIFICATION_RESEND_AFTER = dt.timedelta(minutes=1)
# A row that failed this many times waits for staff (the admin's "send now").
NOTIFICATION_MAX_ATTEMPTS = 10


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body: str


# The `preference` of a kind whose e-mail nobody can refuse: a confirmation, a cancellation, a
# shipment, a refund, a decision about the user's own account.
TRANSACTIONAL = None


@dataclass(frozen=True)
class NotificationKind:
    """How one kind of notification is written, and which preference lets its recipient refuse it.

    `render` returns None when there is nothing to say any more (the subject is gone, or a later
    change sends its own message): the row is then marked skipped, not sent.
    `preference` names a boolean of the user's `UserPreferences` (`email_notifications`,
    `marketing_emails`) that lets them refuse the e-mail (an OPTIONAL kind); TRANSACTIONAL (None)
    for messages a user cannot refuse.
    `in_app`: the user also finds it in the account's notification list (always, whatever the
    preferences). `link` gives the page it is about ("/orders/12/"), `label` names the kind there.
    """

    name: str
    render: Callable[[Notification], RenderedMessage | None]
    preference: str | None = TRANSACTIONAL
    in_app: bool = False
    link: Callable[[Notification], str | None] | None = None
    label: str = ""

    @property
    def transactional(self) -> bool:
        return self.preference is TRANSACTIONAL


_KINDS: dict[str, NotificationKind] = {}


def notification_kind_register(
    name: str,
    *,
    render: Callable[[Notification], RenderedMessage | None],
    preference: str | None = TRANSACTIONAL,
    in_app: bool = False,
    link: Callable[[Notification], str | None] | None = None,
    label: str | Promise = "",
) -> NotificationKind:
    """Declare a kind (from the app's `notifications.py`). Declaring the same name twice is a bug."""
    kind = NotificationKind(
        name=name, render=render, preference=preference, in_app=in_app, link=link, label=str(label or name)
    )
    known = _KINDS.get(name)
    if known is not None and known != kind:
        raise ValueError(f"Notification kind {name!r} is declared twice")
    _KINDS[name] = kind
    return kind


def notification_kinds() -> list[NotificationKind]:
    """Every declared kind, by name (for staff, the resend command and the classification test)."""
    return [_KINDS[name] for name in sorted(_KINDS)]


def notification_kind(name: str) -> NotificationKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"Unknown notification kind {name!r}: declare it in its app's notifications.py") from None


def notification_queue(
    *,
    kind: str,
    dedupe_key: str,
    user: Any = None,
    recipient: str = "",
    subject: models.Model | None = None,
    context: dict[str, Any] | None = None,
    channel: str = Channel.EMAIL,
    first: bool = False,
    send_after_commit: bool = True,
) -> int:
    """Write the notification in the caller's transaction and send it once that commits; its id.

    An `in_app` kind sent to a user gets a second row, the in-app notification, with the same key
    (one INSERT for both when `first`); the id returned is the `channel` row's.
    At most once per `dedupe_key` and channel: queuing the same key again returns the row already
    there. `first=True` when nothing can have queued this key before (its subject was created in
    this very transaction): one INSERT instead of a lookup and an insert.
    `recipient` defaults to the user's e-mail address. A rollback takes the rows and the sends with it.
    `send_after_commit=False` only for a caller that sends it itself at once (a task already running).
    """
    declared = notification_kind(kind)  # fail at the write, not in a worker later
    values: dict[str, Any] = {
        "kind": kind,
        "user": user,
        "recipient": recipient or (user.email if user is not None else ""),
        "context": context or {},
    }
    if not values["recipient"]:
        raise ValueError(f"Notification {dedupe_key!r} has nobody to go to")
    if subject is not None:
        values["subject_type_id"] = _content_type_id(subject)
        values["subject_id"] = subject.pk
    channels = [channel]
    if declared.in_app and user is not None and channel != Channel.IN_APP:
        channels.append(Channel.IN_APP)
    if Channel.IN_APP in channels and user is not None:
        customer_bump(user.pk)  # the header's unread count, after commit
    if first:
        rows = Notification.objects.bulk_create(
            [Notification(dedupe_key=dedupe_key, channel=each, **values) for each in channels]
        )
        ids = [row.pk for row in rows]
    else:
        ids = [
            Notification.objects.get_or_create(dedupe_key=dedupe_key, channel=each, defaults=values)[0].pk
            for each in channels
        ]
    # A caller that sends the row itself sends that one only: its in-app twin still goes after commit.
    owed = ids if send_after_commit else ids[1:]
    if owed:
        _send_after_commit(owed)
    # The id, not the instance: its subject type is known to the row only (see _content_type_id).
    return ids[0]


def _content_type_id(subject: models.Model) -> Subquery:
    """The subject's content type, looked up inside the INSERT: no statement of its own, and no
    id remembered by the process (a test database flushed under a running server renumbers them)."""
    meta = subject._meta
    return Subquery(ContentType.objects.filter(app_label=meta.app_label, model=meta.model_name).values("pk")[:1])


def notification_send_after_commit(*, notification_id: int) -> None:
    _send_after_commit([notification_id])


def _send_after_commit(notification_ids: list[int]) -> None:
    from .tasks import notification_send_task

    def send() -> None:
        for notification_id in notification_ids:
            notification_send_task.delay(notification_id)

    # robust: a broker outage must not turn a committed change into an error page; the rows
    # stay pending and `notifications_resend_task` sends them later.
    transaction.on_commit(send, robust=True)


def _claimable() -> Q:
    stale = timezone.now() - NOTIFICATION_CLAIM_TIMEOUT
    return Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED]) | Q(
        status=DeliveryStatus.SENDING, updated_at__lt=stale
    )


def notification_send(*, notification_id: int) -> bool:
    """Send one owed notification; True if it was sent now. Safe to run twice, or twice at once.

    Three steps, so a mail is never sent twice because a commit failed: the row is claimed
    (`sending`) in a transaction of its own, the mail goes out with no transaction or lock
    open, and then the row is marked `sent`, retried while the database is away (the mail is
    out: only the record is missing). A failed send marks the row `failed` for the retry.
    A recipient who opted out, or news gone stale, marks it `skipped`: nothing is sent.
    """
    with transaction.atomic():
        notification = (
            # Only the notification row: locking its subject too would make a concurrent
            # change wait, or make this send skip a row it should send.
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=notification_id)
            .filter(_claimable())
            .first()
        )
        if notification is None:
            return False  # already sent, or another worker has it right now
        notification.status = DeliveryStatus.SENDING
        notification.attempts += 1
        notification.save(update_fields=["status", "attempts", "updated_at"])
    kind = notification_kind(notification.kind)
    try:
        refused = _opted_out(notification, kind)
        message = None if refused else kind.render(notification)
        if message is None:
            _record(notification.pk, DeliveryStatus.SKIPPED, refused or "Nothing to say any more")
            if notification.channel == Channel.IN_APP and notification.user_id is not None:
                customer_bump(notification.user_id)  # a skipped row leaves the unread count
            return False
        _deliver(notification, message)
    except Exception as exc:
        _record(notification.pk, DeliveryStatus.FAILED, f"{exc.__class__.__name__}: {exc}")
        raise
    _record_sent(notification_id=notification.pk, message=message)
    logger.info("Notification %s (%s) sent to %s", notification.pk, notification.kind, notification.recipient)
    return True


def _opted_out(notification: Notification, kind: NotificationKind) -> str:
    """The one place that honours preferences: why this user must not get this message, or ""."""
    user = notification.user if notification.user_id is not None else None
    # Preferences say which e-mails a user gets; the in-app list always shows what happened.
    if notification.channel != Channel.EMAIL or kind.preference is TRANSACTIONAL or user is None:
        return ""
    preferences = getattr(user, "preferences", None)
    if preferences is None:  # no row yet: the user has the defaults, as a new row would hold them
        preferences = user._meta.get_field("preferences").related_model()
    if getattr(preferences, kind.preference):
        return ""
    return f"The recipient turned {kind.preference} off"


def _deliver(notification: Notification, message: RenderedMessage) -> None:
    if notification.channel == Channel.IN_APP:
        return  # delivered by writing its text on the row (_record_sent)
    if notification.channel != Channel.EMAIL:
        raise ValueError(f"No way to deliver on channel {notification.channel!r}")
    send_mail(_one_line(message.subject), message.body, None, [notification.recipient])


def _one_line(subject: str) -> str:
    # One line, whatever the template's line breaks.
    return " ".join(subject.split())


def _record(notification_id: int, status: str, reason: str) -> None:
    _record_until_the_database_answers(notification_id, status=status, last_error=reason[:255])


def _record_sent(*, notification_id: int, message: RenderedMessage) -> None:
    _record_until_the_database_answers(
        notification_id,
        status=DeliveryStatus.SENT,
        sent_at=timezone.now(),
        last_error="",
        title=_one_line(message.subject)[:255],
        body=message.body[:NOTIFICATION_BODY_MAX_LENGTH],
    )


def _record_until_the_database_answers(notification_id: int, **values: Any) -> None:
    """Write how a claimed send went, retried while the database is away (a restart, a failover).

    A claimed row nobody records stays `sending` until NOTIFICATION_CLAIM_TIMEOUT: a sent mail
    must be recorded (or it goes out twice), and a failed one released as `failed` (or it waits
    that long for its retry) — the failure is often the same outage, met while rendering.
    Called with no transaction open.
    """
    deadline = time.monotonic() + NOTIFICATION_RECORD_SECONDS
    pause = 0.5
    while True:
        try:
            Notification.objects.filter(pk=notification_id).update(updated_at=timezone.now(), **values)
            return
        except (OperationalError, InterfaceError):
            if time.monotonic() > deadline:
                raise  # the row stays `sending`; it is sent again after NOTIFICATION_CLAIM_TIMEOUT
            logger.warning("Notification %s: the database is away, recording %s again", notification_id, values)
            connection.close()  # the next query opens a fresh connection
            time.sleep(pause)
            pause = min(pause * 2, 5)


def notifications_pending(*, older_than: dt.timedelta = NOTIFICATION_RESEND_AFTER) -> list[int]:
    """The notifications still owed (the broker was down at commit, or a send failed), oldest first."""
    cutoff = timezone.now() - older_than
    return list(
        Notification.objects.filter(_claimable(), created_at__lt=cutoff, attempts__lt=NOTIFICATION_MAX_ATTEMPTS)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )


def notifications_failed(*, kinds: Sequence[str] = (), since: dt.datetime | None = None) -> list[int]:
    """The notifications whose last send failed, oldest first: of these `kinds` only, written `since`
    then only. Whatever their attempts: an operator sends them again (the periodic task gives up
    after NOTIFICATION_MAX_ATTEMPTS)."""
    failed = Notification.objects.filter(status=DeliveryStatus.FAILED)
    if kinds:
        failed = failed.filter(kind__in=kinds)
    if since is not None:
        failed = failed.filter(created_at__gte=since)
    return list(failed.order_by("pk").values_list("pk", flat=True))
