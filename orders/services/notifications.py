"""The order e-mails' outbox: a pending row written in the order's transaction, sent after commit,
sent again by the resend task when the broker or the mail server was away.
"""

import datetime as dt
import logging
import time

from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import DeliveryStatus, NotificationKind, Order, OrderNotification

logger = logging.getLogger(__name__)


def _notification_queue(*, order: Order, kind: str, recipient: str) -> OrderNotification:
    notification, _created = OrderNotification.objects.get_or_create(
        order=order, kind=kind, defaults={"recipient": recipient}
    )
    return notification


def _notification_send_after_commit(notification: OrderNotification) -> None:
    from ..tasks import order_notification_send_task

    # robust: a broker outage must not turn a committed order into an error page; the row
    # stays pending and `order_notifications_resend_task` sends it later.
    transaction.on_commit(lambda: order_notification_send_task.delay(notification.pk), robust=True)


# A claimed notification whose worker never said how it went (killed between the send and the
# record): sent again after this long, so a message is never lost, at the price of a rare second copy.
NOTIFICATION_CLAIM_TIMEOUT = dt.timedelta(minutes=10)
# How long a worker keeps trying to record a sent message while the database is away.
NOTIFICATION_RECORD_SECONDS = 60


def order_notification_send(*, notification_id: int) -> bool:
    """Send one pending notification; True if it was sent now. Safe to run twice.

    Three steps, so a mail is never sent twice because a commit failed: the row is claimed
    (`sending`) in a transaction of its own, the mail goes out with no transaction or lock
    open, and then the row is marked `sent`, retried while the database is away (the mail is
    out: only the record is missing). A failed send marks the row `failed` for the retry.
    """
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    with transaction.atomic():
        notification = (
            # Only the notification row: locking the order too would make a concurrent
            # cancel wait, or make this send skip a row it should send.
            OrderNotification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("order")
            .filter(pk=notification_id)
            .filter(_claimable_notifications())
            .first()
        )
        if notification is None:
            return False  # already sent, or another worker has it right now
        notification.status = DeliveryStatus.SENDING
        notification.attempts += 1
        notification.save(update_fields=["status", "attempts", "updated_at"])
    order = notification.order
    context = {"order": order, "items": list(order.items.all()), "notification": notification}
    subject = {
        NotificationKind.CONFIRMATION: _("Your order %(number)s is confirmed"),
        NotificationKind.CANCELLATION: _("Your order %(number)s is cancelled"),
    }[NotificationKind(notification.kind)] % {"number": order.order_number}
    try:
        send_mail(
            subject, render_to_string(f"orders/email/{notification.kind}.txt", context), None, [notification.recipient]
        )
    except Exception as exc:
        OrderNotification.objects.filter(pk=notification.pk).update(
            status=DeliveryStatus.FAILED, last_error=f"{exc.__class__.__name__}: {exc}"[:255], updated_at=timezone.now()
        )
        raise
    _notification_record_sent(notification_id=notification.pk)
    return True


def _claimable_notifications() -> Q:
    stale = timezone.now() - NOTIFICATION_CLAIM_TIMEOUT
    return Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED]) | Q(
        status=DeliveryStatus.SENDING, updated_at__lt=stale
    )


def _notification_record_sent(*, notification_id: int) -> None:
    deadline = time.monotonic() + NOTIFICATION_RECORD_SECONDS
    pause = 0.5
    while True:
        try:
            now = timezone.now()
            OrderNotification.objects.filter(pk=notification_id).update(
                status=DeliveryStatus.SENT, sent_at=now, last_error="", updated_at=now
            )
            return
        except (OperationalError, InterfaceError):
            if time.monotonic() > deadline:
                raise  # the row stays `sending`; it is sent again after NOTIFICATION_CLAIM_TIMEOUT
            logger.warning("Notification %s was sent; the database is away, recording it again", notification_id)
            connection.close()  # the next query opens a fresh connection
            time.sleep(pause)
            pause = min(pause * 2, 5)


def order_notifications_pending(*, older_than: dt.timedelta = dt.timedelta(minutes=1)) -> list[int]:
    cutoff = timezone.now() - older_than
    return list(
        OrderNotification.objects.filter(_claimable_notifications(), created_at__lt=cutoff, attempts__lt=10)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
