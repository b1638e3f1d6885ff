"""Every customer-visible event goes out twice through the one outbox: by e-mail (unless the
customer refused that kind of e-mail and it is optional) and as an in-app notification (always).
A mail server that refuses is retried, and a message sent once is recorded once; operators send
failed ones again with `manage.py resend_failed_notifications`."""

import datetime as dt
import socket
import subprocess
import sys
import threading

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from common.inbox import notification_mark_read
from common.models import Channel, DeliveryStatus, Notification
from common.outbox import (
    RenderedMessage,
    notification_kind_register,
    notification_kinds,
    notification_queue,
    notification_send,
)
from common.tasks import notification_send_task
from orders.models import NotificationKind, OrderNotification
from orders.services import order_cancel
from tests.factories.accounts import UserFactory, UserPreferencesFactory
from tests.factories.commerce import VariantFactory
from tests.orders.conftest import funded_user, place

pytestmark = pytest.mark.django_db


def tip_render(notification: Notification) -> RenderedMessage:
    return RenderedMessage(subject="A tip for you", body="Buy more socks.")


# An OPTIONAL kind (what a newsletter or an abandoned-cart reminder declares), shown in the app too.
notification_kind_register("test_tip", render=tip_render, preference="marketing_emails", in_app=True, label="Tip")


@pytest.fixture
def variant(db):
    return VariantFactory(stock=10)


def rows_of(order) -> dict[str, Notification]:
    return {n.channel: n for n in Notification.objects.filter(order=order, kind="confirmation")}


# --- one event, two channels -------------------------------------------------------------------


def test_an_order_event_is_written_as_an_email_and_an_in_app_notification(variant):
    # In one INSERT: tests/orders/test_checkout_statements.py pins checkout's statements.
    customer = funded_user()
    order = place(customer, variant)

    rows = rows_of(order)
    assert set(rows) == {Channel.EMAIL, Channel.IN_APP}
    assert rows["email"].dedupe_key == rows["in_app"].dedupe_key == f"order:{order.pk}:confirmation"
    assert rows["in_app"].user == customer and rows["in_app"].subject == order
    assert OrderNotification.objects.get(order=order).channel == Channel.EMAIL  # the e-mails, as before


def test_both_are_delivered_after_commit_with_their_text_kept(variant, django_capture_on_commit_callbacks):
    customer = funded_user()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order = place(customer, variant)

    # One after-commit hand-off for both rows (beside the bump of the header's unread count).
    sends = [c for c in callbacks if getattr(c, "__qualname__", "").startswith("_send_after_commit")]
    assert len(sends) == 1 and len(callbacks) == 2
    rows = rows_of(order)
    for row in rows.values():
        assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.SENT, 1, "")
        assert row.sent_at is not None and row.read_at is None
        assert row.title == f"Your order {order.order_number} is confirmed"
        assert f"Thank you for your order {order.order_number}" in row.body
    assert len(mail.outbox) == 1  # the in-app row is delivered by writing it, not by mail


def test_a_second_event_of_the_same_order_has_its_own_pair(variant, django_capture_on_commit_callbacks):
    customer = funded_user()
    order = place(customer, variant)
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=order.pk, user=customer)

    pairs = Notification.objects.filter(order=order).values_list("kind", "channel").order_by("kind", "channel")
    assert list(pairs) == [
        ("cancellation", "email"),
        ("cancellation", "in_app"),
        ("confirmation", "email"),
        ("confirmation", "in_app"),
    ]


def test_queuing_the_same_news_again_keeps_one_row_per_channel():
    user = UserFactory()
    with transaction.atomic():
        first = notification_queue(kind="test_tip", dedupe_key="tip:1", user=user)
        again = notification_queue(kind="test_tip", dedupe_key="tip:1", user=user)

    assert first == again
    assert sorted(Notification.objects.values_list("channel", flat=True)) == ["email", "in_app"]


def test_a_message_to_a_bare_address_has_no_in_app_twin():
    with transaction.atomic():
        notification_queue(kind="test_tip", dedupe_key="tip:address", recipient="someone@example.com")
    assert list(Notification.objects.values_list("channel", flat=True)) == ["email"]


# --- preferences ---------------------------------------------------------------------------------


def test_every_kind_is_classified_transactional_or_optional_in_one_place():
    """The classification each kind declared at registration (apps' notifications.py): a new kind
    must be added here on purpose, so nobody makes an order e-mail refusable by accident."""
    classified = {kind.name: kind.preference for kind in notification_kinds() if not kind.name.startswith("test_")}
    transactional = {name for name, preference in classified.items() if preference is None}

    assert set(NotificationKind.values) <= transactional  # confirmation, shipped, delivered, returns, issues, …
    assert {"seller_decision", "signup_welcome", "signup_already_registered"} <= transactional
    # The abandoned-cart reminder (carts/notifications.py): an optional update about the customer's own cart.
    assert {name: preference for name, preference in classified.items() if preference is not None} == {
        "cart_recovery": "email_notifications"
    }
    assert {kind.name for kind in notification_kinds() if kind.in_app} >= set(NotificationKind.values)


def test_an_opted_out_customer_gets_transactional_emails_but_not_optional_ones_and_sees_both_in_the_app(
    variant, django_capture_on_commit_callbacks
):
    customer = funded_user()
    UserPreferencesFactory(user=customer, email_notifications=False, marketing_emails=False)

    with django_capture_on_commit_callbacks(execute=True):
        order = place(customer, variant)
        with transaction.atomic():
            notification_queue(kind="test_tip", dedupe_key=f"tip:{customer.pk}", user=customer)

    emails = {n.kind: n for n in Notification.objects.filter(user=customer, channel=Channel.EMAIL)}
    assert emails["confirmation"].status == DeliveryStatus.SENT
    assert (emails["test_tip"].status, emails["test_tip"].last_error) == (
        DeliveryStatus.SKIPPED,
        "The recipient turned marketing_emails off",
    )
    assert [m.subject for m in mail.outbox] == [f"Your order {order.order_number} is confirmed"]

    in_app = {n.kind: n.status for n in Notification.objects.filter(user=customer, channel=Channel.IN_APP)}
    assert in_app == {"confirmation": DeliveryStatus.SENT, "test_tip": DeliveryStatus.SENT}


def test_an_opted_in_customer_gets_the_optional_email_too(django_capture_on_commit_callbacks):
    customer = UserPreferencesFactory(marketing_emails=True).user
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notification_queue(kind="test_tip", dedupe_key="tip:in", user=customer)
    assert [(m.to, m.subject) for m in mail.outbox] == [([customer.email], "A tip for you")]


# --- a broken mail server --------------------------------------------------------------------------


def _a_port_nobody_listens_on() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again: connecting to it is refused


@pytest.fixture
def refusing_smtp(settings):
    """A real SMTP connection to a server that refuses it."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _a_port_nobody_listens_on()
    settings.EMAIL_TIMEOUT = 2
    return settings


def _owed_confirmation(variant) -> Notification:
    order = place(funded_user(), variant)  # on_commit does not run in these tests: the rows wait
    return OrderNotification.objects.get(order=order)


def test_a_refused_email_is_recorded_failed_with_the_reason_then_sent_once_by_the_resend_command(
    variant, refusing_smtp, capsys
):
    email = _owed_confirmation(variant)

    with pytest.raises(ConnectionRefusedError):
        notification_send(notification_id=email.pk)  # a worker's try: the task would retry it
    email.refresh_from_db()
    assert (email.status, email.attempts, email.sent_at) == (DeliveryStatus.FAILED, 1, None)
    assert email.last_error.startswith("ConnectionRefusedError")

    refusing_smtp.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the server is back
    call_command("resend_failed_notifications")
    call_command("resend_failed_notifications")

    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == (DeliveryStatus.SENT, 2, "")
    assert len(mail.outbox) == 1
    assert OrderNotification.objects.filter(order=email.subject).count() == 1
    out = capsys.readouterr().out.splitlines()
    assert out == ["Queued 1 failed notifications to be sent again.", "No failed notifications to send again."]


class FailsOnceEmailBackend:
    """A mail server that fails the first message it is given, then takes every one."""

    calls = 0

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        FailsOnceEmailBackend.calls += 1
        if FailsOnceEmailBackend.calls == 1:
            raise OSError("421 Service not available, closing transmission channel")
        mail.outbox.extend(messages)
        return len(messages)


def test_the_send_task_retries_a_failed_send_and_records_one_sent_email(variant, settings):
    settings.EMAIL_BACKEND = "tests.common.test_in_app_notifications.FailsOnceEmailBackend"
    FailsOnceEmailBackend.calls = 0
    email = _owed_confirmation(variant)

    # The first try fails: the task asks Celery to retry it later (eager here: raised, not scheduled).
    with pytest.raises(Retry, match="421 Service not available"):
        notification_send_task.delay(email.pk)
    email.refresh_from_db()
    assert (email.status, email.attempts) == (DeliveryStatus.FAILED, 1)
    assert email.last_error == "OSError: 421 Service not available, closing transmission channel"

    assert notification_send_task.apply(args=[email.pk]).get() is True  # Celery's retry

    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == (DeliveryStatus.SENT, 2, "")
    assert FailsOnceEmailBackend.calls == 2 and len(mail.outbox) == 1
    assert notification_send_task.delay(email.pk).get() is False  # nothing owed any more
    assert len(mail.outbox) == 1


# --- the resend command ------------------------------------------------------------------------------


def _failed(kind: str, key: str, *, days_ago: int = 0) -> Notification:
    with transaction.atomic():
        notification_id = notification_queue(
            kind=kind, dedupe_key=key, recipient="ops@example.com", send_after_commit=False
        )
    Notification.objects.filter(pk=notification_id).update(
        status=DeliveryStatus.FAILED,
        attempts=10,  # past the periodic task's limit: only an operator sends it again
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
        created_at=timezone.now() - dt.timedelta(days=days_ago),
    )
    return Notification.objects.get(pk=notification_id)


def test_the_command_sends_only_the_kinds_and_the_period_asked_for(capsys):
    old_tip = _failed("test_tip", "tip:old", days_ago=10)
    new_tip = _failed("test_tip", "tip:new", days_ago=1)
    other = _failed("signup_welcome", "welcome:1")
    sent = Notification.objects.get(pk=_failed("test_tip", "tip:sent").pk)
    Notification.objects.filter(pk=sent.pk).update(status=DeliveryStatus.SENT)

    call_command("resend_failed_notifications", "--kind", "test_tip", "--since", "3d", "--dry-run")
    call_command("resend_failed_notifications", "--kind", "test_tip", "--since", "3d")

    assert capsys.readouterr().out.splitlines() == [
        "1 failed notifications would be sent again (dry run).",
        "Queued 1 failed notifications to be sent again.",
    ]
    statuses = dict(Notification.objects.values_list("pk", "status"))
    assert statuses[new_tip.pk] == DeliveryStatus.SENT
    assert statuses[old_tip.pk] == statuses[other.pk] == DeliveryStatus.FAILED
    assert [m.subject for m in mail.outbox] == ["A tip for you"]


def test_the_command_can_send_from_its_own_process_and_says_when_some_fail_again(settings, capsys):
    _failed("test_tip", "tip:1", days_ago=1)
    call_command("resend_failed_notifications", "--now", "--since", "2026-01-01")
    assert capsys.readouterr().out.strip() == "Sent 1 of 1 failed notifications."

    _failed("test_tip", "tip:2")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _a_port_nobody_listens_on()
    with pytest.raises(CommandError, match=r"Sent 0 of 1 failed notifications; 1 failed again"):
        call_command("resend_failed_notifications", "--now")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--kind", "no_such_kind"], "Unknown notification kind 'no_such_kind'"),
        (["--since", "yesterday"], "--since 'yesterday' is not a moment"),
        (["--since", "2026-13-45"], "--since '2026-13-45' is not a moment"),
        (["--since", "1d", "--since", "3000-01-01"], "--since is in the future"),
    ],
)
def test_the_command_refuses_bad_arguments_with_one_line_and_sends_nothing(arguments, message):
    failed = _failed("test_tip", "tip:bad")
    with pytest.raises(CommandError, match=message):
        call_command("resend_failed_notifications", *arguments)
    assert Notification.objects.get(pk=failed.pk).status == DeliveryStatus.FAILED
    assert mail.outbox == []


def test_the_command_line_gets_one_line_and_a_non_zero_status_for_bad_arguments():
    for arguments in (["--bogus"], ["--since", "soon"]):
        done = subprocess.run(
            [sys.executable, "manage.py", "resend_failed_notifications", *arguments],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode != 0
        assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_a_caller_that_sends_the_email_itself_still_gets_the_in_app_twin_sent_after_commit(
    django_capture_on_commit_callbacks,
):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        email_id = notification_queue(kind="test_tip", dedupe_key="tip:self", user=user, send_after_commit=False)

    rows = {n.channel: n for n in Notification.objects.all()}
    assert rows["email"].pk == email_id and rows["email"].status == DeliveryStatus.PENDING  # the caller's to send
    assert (rows["in_app"].status, rows["in_app"].title) == (DeliveryStatus.SENT, "A tip for you")


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_two_tabs_marking_one_notification_read_at_once_keep_one_reading_time():
    user = UserFactory()
    with transaction.atomic():
        notification_queue(kind="test_tip", dedupe_key="tip:tabs", user=user, send_after_commit=False)
    in_app = Notification.objects.get(channel=Channel.IN_APP)
    barrier = threading.Barrier(6)
    seen: list = []

    def tab() -> None:
        try:
            barrier.wait(timeout=30)
            seen.append(notification_mark_read(user=user, notification_id=in_app.pk).read_at)
        finally:
            connection.close()

    threads = [threading.Thread(target=tab) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(seen) == 6 and len(set(seen)) == 1
    assert Notification.objects.get(pk=in_app.pk).read_at == seen[0]
