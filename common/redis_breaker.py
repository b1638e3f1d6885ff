"""A circuit breaker per Redis server, per process: after one timeout, stop waiting on Redis.

A frozen Redis (accepting connections, never answering) costs every call its socket timeout,
and a request makes several (throttle, cache, public cache, the task publish), each paid again by
the next request. So once a call to a server has timed out, every call to that server from this
process fails at once, the way it does when Redis is down, for `REDIS_BREAKER_SECONDS`; then one
call goes through as a probe, and its answer closes the breaker or opens it for another window.
The callers fall back exactly as when Redis is down: the cache fails open (django-redis'
IGNORE_EXCEPTIONS, so throttles allow and pages render from the database) and a task publish
fails, leaving the order notification's outbox row for `order_notifications_resend_task`.

Two doors lead to Redis, and both are guarded here:

- every redis-py connection of the cache (`BreakerConnectionPool`, django-redis'
  CONNECTION_POOL_CLASS): connecting and sending check the breaker, a timed-out connect or read
  opens it, any answer closes it;
- the Celery publish (`guarded_publish`, used by the app's `send_task` in config/celery.py).

Only timeouts open it: a refused connection already fails at once, and an error reply is an
answer. pybreaker was considered and left out: it holds one lock around the guarded call itself,
so every Redis call of a process would wait for the one in flight.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_PORT = 6379


class RedisBreaker:
    """Open (calls fail at once) for a window after a timeout; closed again by any answer."""

    def __init__(self, server: str) -> None:
        self.server = server
        self._lock = threading.Lock()
        self._open_until = 0.0  # time.monotonic() the window ends; 0 while closed

    @property
    def is_open(self) -> bool:
        return bool(self._open_until)

    def allow(self) -> bool:
        """May a call go to Redis now? No while open; when its window ends, one caller probes."""
        if not self._open_until:  # closed: the common case takes no lock
            return True
        with self._lock:
            if not self._open_until:
                return True
            now = time.monotonic()
            if now < self._open_until:
                return False
            # This caller probes; the others keep failing at once until its call answers or
            # times out, rather than all waiting out a timeout together.
            self._open_until = now + _window()
            return True

    def failed(self) -> None:
        """A call timed out: open for a window."""
        with self._lock:
            was_closed = not self._open_until
            self._open_until = time.monotonic() + _window()
        if was_closed:
            logger.warning("Redis at %s timed out: not waiting on it for %ss", self.server, _window())

    def succeeded(self) -> None:
        """Redis answered: close."""
        if self._open_until:
            with self._lock:
                self._open_until = 0.0
            logger.warning("Redis at %s answers again", self.server)

    def error(self) -> redis.ConnectionError:
        return redis.ConnectionError(f"Redis at {self.server} timed out recently; not waiting on it (circuit open)")


_breakers: dict[str, RedisBreaker] = {}
_breakers_lock = threading.Lock()


def _window() -> float:
    return float(getattr(settings, "REDIS_BREAKER_SECONDS", 30))


def breaker_for(server: str) -> RedisBreaker:
    """The process' breaker for one Redis server ("host:port" or a socket path)."""
    found = _breakers.get(server)
    if found is None:
        with _breakers_lock:
            found = _breakers.setdefault(server, RedisBreaker(server))
    return found


def breaker_for_url(url: str) -> RedisBreaker | None:
    """The breaker for a redis:// (rediss://, unix://) URL; None for any other broker."""
    parts = urlsplit(url)
    if parts.scheme in ("redis", "rediss"):
        return breaker_for(f"{parts.hostname or 'localhost'}:{parts.port or DEFAULT_PORT}")
    if parts.scheme == "unix":
        return breaker_for(parts.path)
    return None


def reset() -> None:
    """Close every breaker of this process (tests); connections keep theirs, so close in place."""
    with _breakers_lock:
        breakers = list(_breakers.values())
    for breaker in breakers:
        with breaker._lock:
            breaker._open_until = 0.0


def timed_out(exc: BaseException | None) -> bool:
    """True when `exc`, or an exception it was raised from or while handling, is a timeout."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, redis.TimeoutError | socket.timeout | TimeoutError):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


# --- the cache's connections -------------------------------------------------------------------


class _GuardedConnection:
    """Mixed into a redis-py connection class: each connect, send and read goes by the breaker."""

    _breaker: RedisBreaker
    _admitted = False  # inside a connect or send the breaker let through (its HELLO, AUTH, SELECT)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        path = getattr(self, "path", "")
        self._breaker = breaker_for(path or f"{getattr(self, 'host', 'localhost')}:{getattr(self, 'port', 0)}")

    def _guard(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `call` (a connect or send) if the breaker lets it; a timeout opens the breaker."""
        if self._admitted:
            return call(*args, **kwargs)
        if not self._breaker.allow():
            raise self._breaker.error()
        self._admitted = True
        try:
            return call(*args, **kwargs)
        except redis.TimeoutError:
            self._breaker.failed()
            raise
        finally:
            self._admitted = False

    def connect_check_health(self, *args: Any, **kwargs: Any) -> None:
        if getattr(self, "_sock", None):
            return
        self._guard(super().connect_check_health, *args, **kwargs)  # type: ignore[misc]  # mixin: redis-py's Connection defines it

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        self._guard(super().send_packed_command, command, check_health)  # type: ignore[misc]  # mixin: redis-py's Connection defines it

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        try:
            response = super().read_response(*args, **kwargs)  # type: ignore[misc]  # mixin: redis-py's Connection defines it
        except redis.TimeoutError:
            self._breaker.failed()
            raise
        except redis.ResponseError:
            self._breaker.succeeded()  # an error reply is an answer
            raise
        self._breaker.succeeded()
        return response


_guarded_classes: dict[type, type] = {}


def guarded(connection_class: type) -> type:
    """`connection_class` (TCP, TLS or unix socket) with the breaker mixed in."""
    if issubclass(connection_class, _GuardedConnection):
        return connection_class
    found = _guarded_classes.get(connection_class)
    if found is None:
        found = type(f"Guarded{connection_class.__name__}", (_GuardedConnection, connection_class), {})
        _guarded_classes[connection_class] = found
    return found


class BreakerConnectionPool(redis.ConnectionPool):
    """django-redis' CONNECTION_POOL_CLASS: the usual pool, its connections guarded."""

    def __init__(self, connection_class: type = redis.Connection, **kwargs: Any) -> None:
        super().__init__(connection_class=guarded(connection_class), **kwargs)


# --- the task publish --------------------------------------------------------------------------


def guarded_publish(broker_url: str, publish: Callable[[], T]) -> T:
    """Run `publish` (a Celery send) unless the broker's breaker is open.

    While open it raises kombu's OperationalError at once, as a publish to a stopped Redis
    does; a publish that timed out opens it.
    """
    from kombu.exceptions import OperationalError

    breaker = breaker_for_url(broker_url)
    if breaker is None:
        return publish()
    if not breaker.allow():
        raise OperationalError(str(breaker.error()))
    try:
        result = publish()
    except Exception as exc:
        if timed_out(exc):
            breaker.failed()
        raise
    breaker.succeeded()
    return result
