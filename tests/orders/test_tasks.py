"""Order notifications: the outbox row is written with the order, sent once after commit, and
picked up again by the periodic task when the broker was down or the mail server failed."""

import datetime as dt

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from common.tasks import notification_send_task, notifications_resend_task
from config.celery import app as celery_app
from orders.models import DeliveryStatus, NotificationKind, Order, OrderNotification, OrderState
from orders.services import order_cancel, order_place

from .conftest import funded_user, place

pytestmark = pytest.mark.django_db


def backdate(notification: OrderNotification, minutes: int = 5) -> None:
    OrderNotification.objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=minutes)
    )


def test_confirmation_is_queued_after_commit_and_sent(customer, variant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order = place(customer, variant)

    # One send after commit (beside the bump of the header's unread count).
    assert [getattr(c, "__qualname__", "").split(".")[0] for c in callbacks].count("_send_after_commit") == 1
    notification = OrderNotification.objects.get(order=order)
    assert (notification.kind, notification.status, notification.attempts) == ("confirmation", "sent", 1)
    assert notification.recipient == customer.email and notification.sent_at
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [customer.email] and order.order_number in mail.outbox[0].subject
    assert variant.product.title in mail.outbox[0].body


def test_cancellation_is_sent_too(customer, variant, django_capture_on_commit_callbacks):
    order = place(customer, variant)
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=order.pk, user=customer)

    cancellation = OrderNotification.objects.get(order=order, kind=NotificationKind.CANCELLATION)
    assert cancellation.status == DeliveryStatus.SENT
    assert [m.subject for m in mail.outbox] == [f"Your order {order.order_number} is cancelled"]


def test_running_the_send_task_twice_sends_one_email(customer, variant):
    notification = OrderNotification.objects.get(order=place(customer, variant))

    assert notification_send_task.delay(notification.pk).get() is True
    assert notification_send_task.delay(notification.pk).get() is False

    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.status == DeliveryStatus.SENT and notification.attempts == 1


def test_resend_task_picks_up_pending_rows_once_they_are_a_minute_old(customer, variant):
    fresh = OrderNotification.objects.get(order=place(customer, variant))
    old = OrderNotification.objects.get(order=place(customer, variant))
    backdate(old)

    assert notifications_resend_task.delay().get() == 1

    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.status == DeliveryStatus.SENT and fresh.status == DeliveryStatus.PENDING
    assert len(mail.outbox) == 1
    assert notifications_resend_task.delay().get() == 0  # nothing left that is owed


def test_a_failed_send_is_recorded_and_retried_later(customer, variant, settings):
    notification = OrderNotification.objects.get(order=place(customer, variant))
    settings.EMAIL_BACKEND = "tests.orders.test_tasks.BrokenEmailBackend"

    with pytest.raises(ConnectionRefusedError):
        notification_send_task.apply(args=[notification.pk], throw=True, retries=8)

    notification.refresh_from_db()
    assert notification.status == DeliveryStatus.FAILED and notification.attempts == 1
    assert "ConnectionRefusedError" in notification.last_error

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    backdate(notification)
    notifications_resend_task.delay()

    notification.refresh_from_db()
    assert notification.status == DeliveryStatus.SENT and notification.attempts == 2
    assert len(mail.outbox) == 1


class BrokenEmailBackend:
    """A mail server that refuses every connection."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


@pytest.mark.django_db(transaction=True)
def test_order_commits_while_the_broker_is_down_and_is_sent_later(broker_down, variant):
    customer = funded_user()

    placed = order_place(user=customer, lines=[{"variant_id": variant.pk, "quantity": 1}])

    # The order is committed and its confirmation is still owed, not lost.
    assert not connection.in_atomic_block
    order = Order.objects.get(pk=placed.order.pk)
    assert order.status_id == OrderState.PAID
    notification = OrderNotification.objects.get(order=order)
    assert notification.status == DeliveryStatus.PENDING and notification.attempts == 0
    assert mail.outbox == []

    # The broker is back: the periodic task sends what is owed.
    celery_app.conf.task_always_eager = True
    backdate(notification)
    assert notifications_resend_task() == 1
    notification.refresh_from_db()
    assert notification.status == DeliveryStatus.SENT
    assert len(mail.outbox) == 1


def test_page_order_succeeds_while_the_broker_is_down(broker_down, client, variant, django_capture_on_commit_callbacks):
    customer = funded_user()
    client.force_login(customer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/orders/place/", {"variant_id": variant.pk, "quantity": 1, "idempotency_key": "abc123"})

    order = Order.objects.get(customer=customer)
    assert response.status_code == 302 and response["Location"] == f"/orders/{order.pk}/"
    assert OrderNotification.objects.get(order=order).status == DeliveryStatus.PENDING


def test_a_claimed_notification_is_not_sent_again_until_its_claim_is_stale(customer, variant):
    """A worker killed between the send and the record leaves the row `sending`: no second copy
    while another worker may still be on it, and no lost message after the claim times out."""
    from common.outbox import NOTIFICATION_CLAIM_TIMEOUT

    notification = OrderNotification.objects.get(order=place(customer, variant))
    backdate(notification)
    OrderNotification.objects.filter(pk=notification.pk).update(status=DeliveryStatus.SENDING, attempts=1)

    assert notification_send_task.delay(notification.pk).get() is False
    assert notifications_resend_task.delay().get() == 0
    assert mail.outbox == []

    stale = timezone.now() - NOTIFICATION_CLAIM_TIMEOUT - dt.timedelta(seconds=1)
    OrderNotification.objects.filter(pk=notification.pk).update(updated_at=stale)
    assert notifications_resend_task.delay().get() == 1

    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (DeliveryStatus.SENT, 2)
    assert len(mail.outbox) == 1
