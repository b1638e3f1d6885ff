"""Celery tasks of the accounts app: thin wrappers around services, safe to run twice.

The seller-decision e-mail is an outbox row now (`common.outbox`), sent by `common.tasks`; this
task stays registered only for messages queued before that, and sends through the outbox too.
"""

from celery import shared_task
from celery.app.task import Task

from . import services


@shared_task(
    bind=True, autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600, max_retries=5, acks_late=True
)
def seller_decision_email_task(self: Task, seller_id: int, status: str, previous: str) -> bool:
    # OSError: the mail server refused or did not answer (smtplib's errors are OSErrors).
    return services.seller_decision_email_send(seller_id=seller_id, status=status, previous=previous)
