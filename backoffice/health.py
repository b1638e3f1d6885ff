"""Liveness and readiness probes for the load balancer and the operator."""

import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    # The cache fails open for pages (IGNORE_EXCEPTIONS), so ask the client directly here.
    if settings.REDIS_URL:
        from django_redis import get_redis_connection

        get_redis_connection("default").ping()
    else:
        cache.set("readyz", "1", 5)


def check_broker() -> None:
    from config.celery import app

    if app.conf.broker_url.startswith("memory://"):
        return  # the embedded default: tasks run in-process, there is no broker to ask
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=settings.REDIS_SOCKET_TIMEOUT)


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
}


def run_checks() -> dict[str, dict[str, object]]:
    results: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - a probe reports every failure by name
            results[name] = {"ok": False, "error": exc.__class__.__name__}
        else:
            results[name] = {"ok": True}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return results
