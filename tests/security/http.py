"""Concurrent HTTP against the real server (gunicorn), for the race rows (7, 8, 9)."""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from django.contrib.auth.hashers import make_password
from django.db import connection

from accounts.models import Address, Customer, User
from tests.factories.accounts import DEFAULT_PASSWORD

from .world import access_token


@dataclass(frozen=True)
class Answer:
    status: int  # 0: no HTTP answer at all (connection refused, reset, timeout)
    body: Any
    seconds: float
    headers: dict[str, str]

    @property
    def code(self) -> str | None:
        return self.body.get("code") if isinstance(self.body, dict) else None


Call = Callable[[requests.Session], requests.Response]


def fire(calls: list[Call], concurrency: int = 100, timeout: float = 120) -> list[Answer]:
    """Run every call, `concurrency` at a time; all workers start together (a barrier)."""
    work: queue.Queue[tuple[int, Call]] = queue.Queue()
    for index, call in enumerate(calls):
        work.put((index, call))
    answers: list[Answer | None] = [None] * len(calls)
    workers = min(concurrency, len(calls))
    barrier = threading.Barrier(workers)

    def worker() -> None:
        session = requests.Session()
        session.trust_env = False
        barrier.wait()
        while True:
            try:
                index, call = work.get_nowait()
            except queue.Empty:
                return
            start = time.monotonic()
            try:
                response = call(session)
                try:
                    body: Any = response.json()
                except ValueError:
                    body = response.text[:500]
                answers[index] = Answer(response.status_code, body, time.monotonic() - start, dict(response.headers))
            except requests.RequestException as exc:
                answers[index] = Answer(0, f"{exc.__class__.__name__}: {exc}", time.monotonic() - start, {})

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return [a if a is not None else Answer(0, "no answer", timeout, {}) for a in answers]


def statuses(answers: list[Answer]) -> str:
    counts = Counter(a.status for a in answers)
    return ", ".join(f"{n}x{status}" for status, n in sorted(counts.items()))


def server_errors(answers: list[Answer]) -> list[Answer]:
    return [a for a in answers if a.status >= 500 or a.status == 0]


def many_customers(n: int, prefix: str) -> list[User]:
    """`n` customers at once (bulk inserts; one password hash shared)."""
    password = make_password(DEFAULT_PASSWORD)
    users = User.objects.bulk_create(
        [User(email=f"{prefix}-{i}@example.com", password=password, first_name="Racer") for i in range(n)]
    )
    Customer.objects.bulk_create([Customer(user=user) for user in users])
    # Checkout delivers to the customer's primary address: every racer has one.
    Address.objects.bulk_create(
        [
            Address(
                user=user,
                recipient_name="Racer",
                street_address="1 Track",
                city="Springfield",
                postal_code="62701",
                country="US",
                is_primary=True,
            )
            for user in users
        ]
    )
    return users


def bearer(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token(user)}"}


def deadlocks() -> int:
    """PostgreSQL's count of deadlocks detected in this database so far."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return int(cursor.fetchone()[0])
