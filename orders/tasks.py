"""Celery tasks: thin, idempotent wrappers around services."""

import datetime as dt

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(
    bind=True, autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=600, max_retries=8, acks_late=True
)
def order_notification_send_task(self, notification_id: int) -> bool:  # type: ignore[no-untyped-def]
    return services.order_notification_send(notification_id=notification_id)


@shared_task
def order_notifications_resend_task() -> int:
    """Send notifications still pending (the broker was down at commit, or a send failed)."""
    pending = services.order_notifications_pending()
    for notification_id in pending:
        order_notification_send_task.delay(notification_id)
    return len(pending)


@shared_task(acks_late=True)
def sales_rollup_task(day: str | None = None, days_back: int = 2) -> dict[str, int]:
    """Roll up one day (YYYY-MM-DD, any: an operator's choice), or by default the last
    `days_back` finished days.

    A cancellation takes its lines off a day already rolled up, so redoing recent days is only a
    safety net: when all is well it writes the same rows again."""
    if day:
        days = [dt.date.fromisoformat(day)]
    else:
        today = timezone.now().date()
        days = [today - dt.timedelta(days=n) for n in range(days_back, 0, -1)]
    return {d.isoformat(): services.sales_rollup_day(day=d) for d in days}
