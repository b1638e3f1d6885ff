"""The Redis circuit breaker (common/redis_breaker.py), against a real redis-server we freeze.

A frozen Redis accepts connections and never answers (SIGSTOP, as scorecard row 11 does). The
first call pays its socket timeout; after it, the cache, the throttles, the public cache and the
task publish of this process answer at once, falling back as with Redis down, until the window
ends and Redis answers a probe.
"""

import copy
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from kombu.exceptions import OperationalError
from rest_framework.test import APIClient

from common import redis_breaker
from config.celery import app as celery_app
from orders.models import DeliveryStatus, OrderNotification
from orders.services import order_place
from orders.tasks import order_notifications_resend_task
from scorecard.processes import DisposableRedis
from tests.factories.commerce import VariantFactory
from tests.orders.conftest import funded_user
from tests.orders.test_tasks import backdate

# Long enough that a second timeout could not hide under "answered at once".
TIMEOUT = 1.5
FAST = 0.5
WINDOW = 1.0


@pytest.fixture(scope="module")
def server() -> Iterator[DisposableRedis]:
    with DisposableRedis() as redis_server:
        yield redis_server


@pytest.fixture
def frozen(server: DisposableRedis) -> Iterator[Callable[[], None]]:
    """Call it to freeze the server; thawed again after the test, every breaker closed."""
    redis_breaker.reset()
    paused = []

    def freeze() -> None:
        server.pause()
        paused.append(True)

    try:
        yield freeze
    finally:
        if paused:
            server.resume()
        redis_breaker.reset()


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    start = time.monotonic()
    try:
        result = call()
    except Exception as exc:  # noqa: BLE001 - the test looks at what was raised
        result = exc
    return result, time.monotonic() - start


@contextmanager
def cache_on(server: DisposableRedis) -> Iterator[None]:
    """The project's own cache settings (fail open, the breaker's pool), on the server we freeze."""
    default = copy.deepcopy(settings.CACHES["default"])
    default["LOCATION"] = server.url
    default["KEY_PREFIX"] = "breaker-test"
    default["OPTIONS"].update(SOCKET_TIMEOUT=TIMEOUT, SOCKET_CONNECT_TIMEOUT=TIMEOUT)
    caches = {**settings.CACHES, "default": default}
    with override_settings(CACHES=caches, REDIS_BREAKER_SECONDS=WINDOW, PUBLIC_CACHE_ENABLED=True):
        yield


# --- the breaker itself ----------------------------------------------------------------------------


def test_the_breaker_opens_on_a_failure_lets_one_probe_through_and_closes_on_an_answer(settings):
    settings.REDIS_BREAKER_SECONDS = 0.2
    breaker = redis_breaker.RedisBreaker("example:6379")
    assert breaker.allow() and not breaker.is_open

    breaker.failed()
    assert breaker.is_open and not breaker.allow()

    time.sleep(0.25)
    assert breaker.allow()  # the window is over: this caller probes...
    assert not breaker.allow()  # ...and the others do not wait on Redis with it
    breaker.failed()  # the probe timed out too: another window
    assert not breaker.allow()

    time.sleep(0.25)
    assert breaker.allow()
    breaker.succeeded()
    assert not breaker.is_open and breaker.allow() and breaker.allow()


def test_one_breaker_per_server_shared_by_the_cache_and_the_broker():
    assert redis_breaker.breaker_for_url("redis://127.0.0.1:6379/1") is redis_breaker.breaker_for("127.0.0.1:6379")
    assert redis_breaker.breaker_for_url("redis://127.0.0.1/2") is redis_breaker.breaker_for("127.0.0.1:6379")
    assert redis_breaker.breaker_for_url("redis://127.0.0.1:6380/0") is not redis_breaker.breaker_for("127.0.0.1:6379")
    assert redis_breaker.breaker_for_url("memory://") is None


# --- the cache, the public cache and the throttles -------------------------------------------------


@pytest.mark.django_db
def test_after_one_timeout_the_cache_fails_open_at_once_until_redis_answers_again(server, frozen):
    with cache_on(server):
        cache.set("seen", 1)
        assert cache.get("seen") == 1
        frozen()

        first, waited = timed(lambda: cache.get("seen"))
        assert first is None and waited >= TIMEOUT * 0.9  # the one timeout the process pays

        # Every call after it fails open at once, as with Redis down.
        for call, fallback in [
            (lambda: cache.get("seen"), None),
            (lambda: cache.get("seen", "default"), "default"),
            (lambda: cache.get_many(["seen", "other"]), {}),
            (lambda: cache.set("seen", 2), None),
            (lambda: cache.add("new", 1), None),
            (lambda: cache.delete("seen"), None),
        ]:
            result, took = timed(call)
            assert result == fallback and took < FAST, (result, took)

        server.resume()
        time.sleep(WINDOW + 0.1)
        # The window is over: the next call probes, Redis answers, the breaker closes.
        assert cache.get("seen") == 1
        assert not redis_breaker.breaker_for(f"127.0.0.1:{server.port}").is_open
        cache.set("seen", 3)
        assert cache.get("seen") == 3


@pytest.mark.django_db
def test_pages_the_public_cache_and_throttled_sign_in_answer_at_once_after_one_timeout(server, frozen):
    VariantFactory(stock=5)
    api = APIClient()
    products = reverse("catalog_api:product-list")
    sign_in = reverse("accounts_api:token")
    with cache_on(server):
        assert api.get(products)["X-Public-Cache"] == "miss"
        assert api.get(products)["X-Public-Cache"] == "hit"
        frozen()

        first, waited = timed(lambda: api.get(products, {"page": 1}))
        assert first.status_code == 200 and waited >= TIMEOUT * 0.9

        for _ in range(3):
            # The public cache (generations, entries), rendered from the database.
            page, took = timed(lambda: api.get(products, {"page": 1}))
            assert page.status_code == 200 and "X-Public-Cache" not in page and took < FAST, took
            home, took = timed(lambda: api.get(reverse("catalog:product_list")))
            assert home.status_code == 200 and took < FAST, took
            # The sign-in throttle fails open as with Redis down; the lockout still counts.
            refused, took = timed(lambda: api.post(sign_in, {"email": "nobody@example.com", "password": "wrong"}))
            assert refused.status_code == 401 and took < FAST, (refused.status_code, took)


# --- the task publish ------------------------------------------------------------------------------


def _fresh_broker_connections() -> None:
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker_on(server: DisposableRedis) -> Iterator[None]:
    """Celery publishing for real (not eager) to the server we freeze."""
    keys = ("task_always_eager", "broker_url", "broker_transport_options")
    saved = {key: celery_app.conf[key] for key in keys}
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = server.url
    celery_app.conf.broker_transport_options = {
        **saved["broker_transport_options"],
        "socket_timeout": TIMEOUT,
        "socket_connect_timeout": TIMEOUT,
    }
    _fresh_broker_connections()
    try:
        with override_settings(REDIS_BREAKER_SECONDS=WINDOW):
            yield
    finally:
        celery_app.conf.update(saved)
        _fresh_broker_connections()


@pytest.mark.django_db(transaction=True)
def test_after_one_publish_timeout_orders_skip_the_publish_and_the_outbox_sends_later(server, frozen, broker_on):
    variant = VariantFactory(stock=10)
    customers = [funded_user() for _ in range(3)]

    def place(customer):  # commits, then publishes its confirmation (on_commit)
        return order_place(user=customer, lines=[{"variant_id": variant.pk, "quantity": 1}])

    celery_app.send_task("orders.tasks.order_notifications_resend_task")  # the broker answers
    frozen()

    _, waited = timed(lambda: place(customers[0]))
    assert waited >= TIMEOUT * 0.9  # the one publish that timed out
    skipped, took = timed(lambda: celery_app.send_task("orders.tasks.order_notifications_resend_task"))
    assert isinstance(skipped, OperationalError) and took < FAST, (skipped, took)
    for customer in customers[1:]:
        _, took = timed(lambda customer=customer: place(customer))
        assert took < FAST, took

    pending = OrderNotification.objects.filter(order__customer__in=customers)
    assert [n.status for n in pending] == [DeliveryStatus.PENDING] * 3

    server.resume()
    time.sleep(WINDOW + 0.1)
    # The window is over: the next publish reaches the broker and closes the breaker.
    celery_app.send_task("orders.tasks.order_notifications_resend_task")
    assert not redis_breaker.breaker_for(f"127.0.0.1:{server.port}").is_open

    # The periodic resend sends every confirmation that is owed, once.
    celery_app.conf.task_always_eager = True
    for notification in pending:
        backdate(notification)
    assert order_notifications_resend_task() == 3
    assert {n.status for n in pending.all()} == {DeliveryStatus.SENT}
    assert len(mail.outbox) == 3
