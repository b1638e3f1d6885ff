"""The shop's one outbox (`common.outbox`): every e-mail is a row written in the transaction of
its change, sent after commit, sent again by the one resend task, at most once per dedupe key,
and only to users whose preferences allow it."""

import datetime as dt
import threading

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.db import OperationalError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import Seller, SellerStatus
from accounts.tasks import seller_decision_email_task
from common.models import DeliveryStatus, Notification
from common.outbox import (
    RenderedMessage,
    notification_kind_register,
    notification_queue,
    notification_send,
    notifications_pending,
)
from common.tasks import notification_send_task, notifications_resend_task
from config.celery import app as celery_app
from orders.models import OrderNotification
from orders.tasks import order_notification_send_task, order_notifications_resend_task
from tests.factories.accounts import SellerFactory, UserFactory, UserPreferencesFactory
from tests.factories.commerce import VariantFactory
from tests.orders.conftest import funded_user, place

pytestmark = pytest.mark.django_db


def ping_render(notification: Notification) -> RenderedMessage | None:
    if notification.context.get("stale"):
        return None
    return RenderedMessage(subject="Ping\n  number " + str(notification.context["n"]), body="Hello")


# Kinds only these tests use: what any later notification (carts, reviews, alerts) declares.
notification_kind_register("test_ping", render=ping_render)
notification_kind_register("test_offer", render=ping_render, preference="marketing_emails")


@pytest.fixture
def customer(db):
    return funded_user()


@pytest.fixture
def variant(db):
    return VariantFactory(stock=10)


def backdate(*notifications: Notification, minutes: int = 5) -> None:
    Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(
        created_at=timezone.now() - dt.timedelta(minutes=minutes)
    )


def queue(kind: str = "test_ping", key: str = "ping:1", **kwargs) -> Notification:
    if "user" not in kwargs:
        kwargs["user"] = UserFactory()
    kwargs.setdefault("context", {"n": 1})
    with transaction.atomic():
        notification_id = notification_queue(kind=kind, dedupe_key=key, **kwargs)
    return Notification.objects.get(pk=notification_id)


# --- the seller's decision -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_seller_decision_made_while_the_broker_is_down_is_sent_later_once(broker_down):
    seller = SellerFactory(status=SellerStatus.UNDER_REVIEW, business_name="Looms", user__email="ada@example.com")

    accounts_services.seller_set_status(seller_id=seller.pk, to=SellerStatus.ACTIVE)

    # The decision is saved, and its e-mail is owed, not lost.
    assert not connection.in_atomic_block
    assert Seller.objects.get(pk=seller.pk).status == SellerStatus.ACTIVE
    notification = Notification.objects.get(kind="seller_decision")
    assert (notification.status, notification.attempts, notification.recipient) == ("pending", 0, "ada@example.com")
    assert notification.subject == seller and notification.context == {"status": "active", "previous": "under_review"}
    assert mail.outbox == []

    # The broker is back: the periodic task sends what is owed, once.
    celery_app.conf.task_always_eager = True
    backdate(notification)
    assert notifications_resend_task() == 1
    assert notifications_resend_task() == 0
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (DeliveryStatus.SENT, 1)
    assert [(m.to, m.subject) for m in mail.outbox] == [(["ada@example.com"], "Looms is approved to sell")]


def test_a_seller_decision_is_written_in_the_decisions_transaction(django_capture_on_commit_callbacks):
    seller = SellerFactory(status=SellerStatus.UNDER_REVIEW)
    with django_capture_on_commit_callbacks(execute=False), pytest.raises(RuntimeError), transaction.atomic():
        accounts_services.seller_set_status(seller_id=seller.pk, to=SellerStatus.ACTIVE)
        assert Notification.objects.filter(kind="seller_decision").count() == 1
        raise RuntimeError("rolled back")
    assert not Notification.objects.exists()


def test_each_status_change_of_a_seller_owes_its_own_email(django_capture_on_commit_callbacks):
    seller = SellerFactory(status=SellerStatus.UNDER_REVIEW, business_name="Looms")
    for to in (SellerStatus.ACTIVE, SellerStatus.SUSPENDED, SellerStatus.ACTIVE):
        with django_capture_on_commit_callbacks(execute=True):
            accounts_services.seller_set_status(seller_id=seller.pk, to=to)

    assert list(Notification.objects.order_by("pk").values_list("status", flat=True)) == ["sent"] * 3
    assert [m.subject for m in mail.outbox] == [
        "Looms is approved to sell",
        "Looms is suspended from selling",
        "Looms can sell again",
    ]


def test_a_late_seller_decision_email_is_skipped_not_sent(django_capture_on_commit_callbacks):
    seller = SellerFactory(status=SellerStatus.UNDER_REVIEW)
    with django_capture_on_commit_callbacks(execute=False):
        accounts_services.seller_set_status(seller_id=seller.pk, to=SellerStatus.ACTIVE)
    approval = Notification.objects.get()
    Seller.objects.filter(pk=seller.pk).update(status=SellerStatus.SUSPENDED)  # changed again before the send

    assert notification_send(notification_id=approval.pk) is False

    approval.refresh_from_db()
    assert approval.status == DeliveryStatus.SKIPPED and approval.last_error == "Nothing to say any more"
    assert mail.outbox == [] and notifications_resend_task() == 0


def test_the_old_seller_decision_task_sends_through_the_outbox_once(django_capture_on_commit_callbacks):
    """A task queued before the outbox (seller id, status, previous) still sends, once."""
    seller = SellerFactory(status=SellerStatus.ACTIVE, business_name="Looms")

    assert seller_decision_email_task.delay(seller.pk, "active", "under_review").get() is True
    assert seller_decision_email_task.delay(seller.pk, "active", "under_review").get() is False

    assert [m.subject for m in mail.outbox] == ["Looms is approved to sell"]
    assert Notification.objects.get().status == DeliveryStatus.SENT


# --- preferences -----------------------------------------------------------------------------


def test_order_emails_are_transactional_and_go_even_with_every_email_preference_off(
    variant, django_capture_on_commit_callbacks
):
    customer = funded_user()
    UserPreferencesFactory(user=customer, email_notifications=False, marketing_emails=False)

    with django_capture_on_commit_callbacks(execute=True):
        order = place(customer, variant)

    notification = OrderNotification.objects.get(order=order)
    assert notification.status == DeliveryStatus.SENT and notification.sent_at is not None
    assert [m.subject for m in mail.outbox] == [f"Your order {order.order_number} is confirmed"]


def test_a_preference_is_read_when_sending_and_a_missing_row_means_the_defaults():
    opted_in = UserPreferencesFactory(marketing_emails=True).user
    opted_out = UserPreferencesFactory(marketing_emails=False).user
    no_row = UserFactory()  # marketing_emails defaults to False
    rows = [queue("test_offer", f"offer:{user.pk}", user=user) for user in (opted_in, opted_out, no_row)]

    sent = [notification_send(notification_id=row.pk) for row in rows]

    assert sent == [True, False, False]
    assert [m.to for m in mail.outbox] == [[opted_in.email]]
    assert Notification.objects.get(pk=rows[2].pk).status == DeliveryStatus.SKIPPED


def test_a_seller_decision_is_sent_even_with_order_emails_turned_off(django_capture_on_commit_callbacks):
    seller = SellerFactory(status=SellerStatus.UNDER_REVIEW)
    UserPreferencesFactory(user=seller.user, email_notifications=False, marketing_emails=False)

    with django_capture_on_commit_callbacks(execute=True):
        accounts_services.seller_set_status(seller_id=seller.pk, to=SellerStatus.ACTIVE)

    assert len(mail.outbox) == 1 and Notification.objects.get().status == DeliveryStatus.SENT


# --- the generic sender ----------------------------------------------------------------------


def test_queuing_the_same_key_twice_keeps_one_row_and_sends_one_email(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = queue(user=user)
        again = queue(user=user, context={"n": 2})

    assert again.pk == first.pk and again.context == {"n": 1}
    assert len(callbacks) == 2  # each queue asks for a send; the claim makes the second a no-op
    assert [(m.to, m.subject) for m in mail.outbox] == [([user.email], "Ping number 1")]


def test_the_queued_row_names_its_subject(django_capture_on_commit_callbacks):
    seller = SellerFactory()
    created = queue(key="ping:subject", user=seller.user, subject=seller)
    found = queue(key="ping:subject", user=seller.user, subject=seller)

    assert created.subject == seller and found.subject == seller
    assert Notification.objects.get(pk=created.pk).subject == seller


def test_an_unknown_kind_or_nobody_to_send_to_is_refused_at_the_write():
    with pytest.raises(LookupError, match="no_such_kind"):
        queue("no_such_kind")
    with pytest.raises(ValueError, match="nobody"):
        queue(user=None)
    assert not Notification.objects.exists()


def test_the_old_order_task_names_still_send(customer, variant):
    """Messages queued before the outbox was shared, and an old periodic-task row, still work."""
    notification = OrderNotification.objects.get(order=place(customer, variant))
    backdate(notification)

    assert order_notifications_resend_task.delay().get() == 1
    assert order_notification_send_task.delay(notification.pk).get() is False
    assert len(mail.outbox) == 1


def test_the_resend_task_sends_every_kind_that_is_owed(customer, variant):
    order = place(customer, variant)
    order_email_and_in_app = list(Notification.objects.filter(order=order))
    ping = queue()
    backdate(*order_email_and_in_app, ping)

    assert notifications_resend_task() == 3
    assert {n.status for n in Notification.objects.all()} == {DeliveryStatus.SENT}
    assert len(mail.outbox) == 2


# --- two workers on one row ------------------------------------------------------------------


class SlowEmailBackend:
    """A mail server that takes its time: holds each send until the test lets it go."""

    entered = threading.Event()
    release = threading.Event()
    sent: list[str] = []

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        SlowEmailBackend.entered.set()
        assert SlowEmailBackend.release.wait(timeout=30)
        SlowEmailBackend.sent.extend(m.subject for m in messages)
        return len(messages)


@pytest.fixture
def slow_mail(settings):
    settings.EMAIL_BACKEND = "tests.common.test_outbox.SlowEmailBackend"
    SlowEmailBackend.entered.clear()
    SlowEmailBackend.release.clear()
    SlowEmailBackend.sent = []
    yield SlowEmailBackend
    SlowEmailBackend.release.set()


def _in_a_thread(notification_id: int, results: list) -> threading.Thread:
    def work() -> None:
        try:
            results.append(notification_send(notification_id=notification_id))
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            results.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    return thread


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_the_same_row_send_one_email(slow_mail):
    notification = queue(send_after_commit=False)
    results: list = []

    # The first worker has claimed the row and is talking to the mail server...
    first = _in_a_thread(notification.pk, results)
    assert slow_mail.entered.wait(timeout=30)
    # ...when the second gets the same row (the resend task, or a retried message).
    second = _in_a_thread(notification.pk, results)
    second.join(timeout=30)
    assert results == [False]

    slow_mail.release.set()
    first.join(timeout=30)
    assert results == [False, True]
    assert slow_mail.sent == ["Ping number 1"]
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (DeliveryStatus.SENT, 1)


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_workers_released_together_on_one_row_send_one_email():
    notification = queue(send_after_commit=False)
    barrier = threading.Barrier(8)
    results: list = []

    def work() -> None:
        try:
            barrier.wait(timeout=30)
            # Celery's "inside a task" flag is one global: another thread's eager run sets it while this
            # one reads its result, so the check meant for a worker's subtasks is turned off here.
            results.append(notification_send_task.apply(args=[notification.pk]).get(disable_sync_subtasks=False))
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results) == [False] * 7 + [True]
    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (DeliveryStatus.SENT, 1)


# --- what staff see --------------------------------------------------------------------------


def test_staff_see_every_notification_and_can_send_the_owed_ones_now(staff_client, customer, variant):
    order = place(customer, variant)
    owed = queue(key="ping:owed")
    refused = queue(key="ping:refused")
    Notification.objects.filter(pk=refused.pk).update(status=DeliveryStatus.SKIPPED)
    changelist = reverse("admin:common_notification_changelist")

    page = staff_client.get(changelist)
    assert page.status_code == 200
    assert {"confirmation", "test_ping"} <= {n.kind for n in page.context["cl"].result_list}
    found = staff_client.get(changelist, {"q": f"order:{order.pk}:"}).context["cl"].result_list
    key = f"order:{order.pk}:confirmation"
    assert [(n.dedupe_key, n.channel) for n in found] == [(key, "in_app"), (key, "email")]
    by_order = staff_client.get(reverse("admin:orders_ordernotification_changelist"), {"q": order.order_number})
    assert [n.kind for n in by_order.context["cl"].result_list] == ["confirmation"]
    assert staff_client.get(reverse("admin:orders_order_change", args=[order.pk])).status_code == 200

    response = staff_client.post(
        changelist, {"action": "resend", "_selected_action": [owed.pk, refused.pk]}, follow=True
    )

    assert Notification.objects.get(pk=owed.pk).status == DeliveryStatus.SENT
    assert Notification.objects.get(pk=refused.pk).status == DeliveryStatus.SKIPPED
    assert [m.subject for m in mail.outbox] == ["Ping number 1"]
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert "1 notification queued." in said
    assert "1 is not to be sent (its last error says why) and was left alone." in said


def test_sign_up_e_mails_go_through_the_outbox_and_survive_a_broker_outage(broker_down):
    taken = UserFactory(email="owner@example.com")
    form = {"first_name": "Eve", "last_name": "Else", "password": "a-long-enough-passphrase-9"}

    assert accounts_services.customer_sign_up(email="new@example.com", **form) is not None
    # Someone types the owner's address three times: the page says the same as for a new address,
    # and the owner is told once in the hour, not once per try (no inbox flooding through the form).
    for _ in range(3):
        assert accounts_services.customer_sign_up(email="OWNER@example.com", **form) is None

    owed = Notification.objects.order_by("pk")
    assert [(n.kind, n.recipient, n.status) for n in owed] == [
        ("signup_welcome", "new@example.com", DeliveryStatus.PENDING),
        ("signup_already_registered", taken.email, DeliveryStatus.PENDING),
    ]
    assert mail.outbox == []

    celery_app.conf.task_always_eager = True
    backdate(*owed)
    assert notifications_resend_task() == 2
    assert notifications_resend_task() == 0
    assert sorted(m.to[0] for m in mail.outbox) == ["new@example.com", "owner@example.com"]
    told = next(m for m in mail.outbox if m.to == ["owner@example.com"])
    assert "tried to create a new account" in told.body


def _render_meets_the_outage(notification: Notification) -> RenderedMessage:
    raise OperationalError("server closed the connection unexpectedly")


notification_kind_register("test_render_meets_the_outage", render=_render_meets_the_outage)


@pytest.mark.django_db(transaction=True)
def test_a_send_that_meets_a_database_outage_is_released_as_failed_when_the_database_is_back():
    # A restart between the claim and the render: the render fails, and so does the first try at
    # releasing the row. Left `sending`, it would wait NOTIFICATION_CLAIM_TIMEOUT (10 minutes)
    # for its retry; released as `failed`, the task's retry or the resend task sends it at once.
    notification_id = notification_queue(
        kind="test_render_meets_the_outage", recipient="ada@example.com", dedupe_key="outage", send_after_commit=False
    )
    updates = {"seen": 0}

    def database_away_for_two_writes(execute, sql, params, many, context):
        if sql.startswith("UPDATE") and "common_notification" in sql:
            updates["seen"] += 1
            if updates["seen"] in (2, 3):  # the claim (1st) goes through; the release meets the outage
                raise OperationalError("the database system is shutting down")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(database_away_for_two_writes), pytest.raises(OperationalError):
        notification_send(notification_id=notification_id)

    row = Notification.objects.get(pk=notification_id)
    assert (row.status, row.attempts, updates["seen"]) == (DeliveryStatus.FAILED, 1, 4)
    assert "OperationalError" in row.last_error
    assert notification_id in notifications_pending(older_than=dt.timedelta(0))
    assert mail.outbox == []
