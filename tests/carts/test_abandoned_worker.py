"""The abandoned-cart task as beat runs it: through the broker, in two real Celery workers at once
(two processes, each on its own queue so both run it at the same moment), against the test
database. Each cart is recorded, snapshotted and e-mailed once (the outbox sends each e-mail once,
from the worker, with its restore link); a third run changes nothing."""

import ast
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from carts.models import AbandonedCart, CartSnapshot, SnapshotType
from carts.services import cart_add_item
from common.models import Channel, DeliveryStatus, Notification
from config.celery import app
from tests.factories.commerce import VariantFactory
from tests.orders.conftest import funded_user

from .abandoned_helpers import idle

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True),
    # This process runs tasks eagerly; send_task goes through the broker to the workers anyway.
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
]

ROOT = Path(__file__).resolve().parents[2]
TASK = "carts.tasks.carts_abandoned_detect_task"
SUCCEEDED = re.compile(r"Task carts\.tasks\.carts_abandoned_detect_task\[[^\]]+\] succeeded in [\d.]+s: (\{.*\})")


def _database_url() -> str:
    settings = connection.settings_dict
    host = settings["HOST"] or "127.0.0.1"
    port = settings["PORT"] or "5432"
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return f"postgres://{settings['USER']}{password}@{host}:{port}/{settings['NAME']}"


class Worker:
    def __init__(self, queue: str, log: Path, *, also: tuple[str, ...] = ()) -> None:
        self.queue, self.log = queue, log
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DATABASE_URL": _database_url(),  # the test database this test committed to
        }
        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", "--pool=solo"),
                *("-Q", ",".join((queue, *also)), "--hostname", f"{queue}@%h", "--without-gossip", "--without-mingle"),
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, needle: str | re.Pattern, count: int = 1, timeout: float = 60) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = (
                needle.findall(self.text()) if isinstance(needle, re.Pattern) else [needle] * self.text().count(needle)
            )
            if len(found) >= count:
                return found
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"worker {self.queue}: {needle!r} not seen {count}x:\n{self.text()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def two_workers(tmp_path):
    run = uuid.uuid4().hex[:8]
    # The first also takes the default queue: the outbox's sends, queued after each commit.
    workers = [
        Worker(f"abandon-{run}-{n}", tmp_path / f"worker-{n}.log", also=("celery",) if n == 1 else ()) for n in (1, 2)
    ]
    try:
        for worker in workers:
            worker.wait_for(" ready.")
        yield workers
    finally:
        for worker in workers:
            worker.stop()


def test_two_real_workers_at_once_record_snapshot_and_email_each_cart_once(two_workers):
    variant = VariantFactory(stock=50)
    carts = [idle(cart_add_item(user=funded_user(), variant_id=variant.pk, quantity=2).cart, 120) for _ in range(3)]

    for worker in two_workers:  # beat's schedule, fired twice at once
        app.send_task(TASK, queue=worker.queue)
    results = [ast.literal_eval(worker.wait_for(SUCCEEDED)[0]) for worker in two_workers]

    assert sum(result["abandoned"] for result in results) == 3
    assert sum(result["emails"] for result in results) == 3
    assert AbandonedCart.objects.count() == 3
    assert CartSnapshot.objects.filter(snapshot_type=SnapshotType.ABANDONED).count() == 3
    e_mails = Notification.objects.filter(kind="cart_recovery", channel=Channel.EMAIL)
    assert sorted(e_mails.values_list("dedupe_key", flat=True)) == sorted(f"cart:{c.pk}:recovery:1" for c in carts)
    # The outbox sent them from the worker, once each, with the restore link.
    deadline = time.monotonic() + 30
    while e_mails.exclude(status=DeliveryStatus.SENT).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sorted(e_mails.values_list("status", "attempts")) == [(DeliveryStatus.SENT, 1)] * 3
    assert all("/cart/recover/" in body for body in e_mails.values_list("body", flat=True))

    # Run again (the next quarter hour): nothing more.
    app.send_task(TASK, queue=two_workers[0].queue)
    again = ast.literal_eval(two_workers[0].wait_for(SUCCEEDED, count=2)[1])
    assert again == {"abandoned": 0, "emails": 0, "closed": 0}
    assert AbandonedCart.objects.count() == 3
    assert e_mails.count() == 3
