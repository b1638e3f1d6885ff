"""The outbox's Celery tasks: thin, idempotent wrappers around `common.outbox`."""

from celery import shared_task
from celery.app.task import Task

from . import outbox


@shared_task(
    bind=True, autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=600, max_retries=8, acks_late=True
)
def notification_send_task(self: Task, notification_id: int) -> bool:
    return outbox.notification_send(notification_id=notification_id)


@shared_task
def notifications_resend_task() -> int:
    """Send the notifications still owed (the broker was down at commit, or a send failed)."""
    pending = outbox.notifications_pending()
    for notification_id in pending:
        notification_send_task.delay(notification_id)
    return len(pending)
