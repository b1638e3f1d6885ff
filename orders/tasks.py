"""Celery tasks: thin, idempotent wrappers around services."""

import datetime as dt

from celery import shared_task
from celery.app.task import Task
from django.utils import timezone

from common import outbox
from common.tasks import notifications_resend_task
from payments.gateways import GatewayTimeoutError
from payments.services.card import payment_void

from . import services

# The order e-mails go through the shop's one outbox (`common.tasks`). These two names stay
# registered only so that messages queued before the move, and a periodic-task row that still
# names them, are carried out; they do exactly what the outbox's tasks do.


@shared_task(
    bind=True, autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=600, max_retries=8, acks_late=True
)
def order_notification_send_task(self: Task, notification_id: int) -> bool:
    return outbox.notification_send(notification_id=notification_id)


@shared_task
def order_notifications_resend_task() -> int:
    return notifications_resend_task()


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


@shared_task(acks_late=True)
def shipments_mark_overdue_task() -> int:
    """Hourly: flag shipments past their estimated delivery (idempotent; see the service)."""
    return services.shipments_mark_overdue()


@shared_task(acks_late=True)
def order_reservations_expire_task() -> int:
    """Every minute: release the pending card orders whose held stock is past its deadline
    (idempotent, safe in two workers at once; see the service)."""
    return services.orders_release_expired()


@shared_task(
    autoretry_for=(GatewayTimeoutError,), retry_backoff=True, retry_backoff_max=300, max_retries=8, acks_late=True
)
def order_payment_void_task(payment_id: int) -> str:
    """Void the payment still in flight of an order released unpaid (a no-op once it is not in
    flight; the same key at the processor: voided once). Returns the payment's status."""
    payment = payment_void(payment_id=payment_id, reason="The order was released: payment not received in time")
    return str(payment.status)
