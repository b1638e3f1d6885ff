"""Scorecard rows 10-12: fault injection against disposable PostgreSQL and Redis instances.

    python -m scorecard.faults [--rows 10,11,12]

Starts its own PostgreSQL 15 cluster and redis-server (each on a free port), migrates, and runs
gunicorn and a Celery worker against them; then kills the worker mid-task (row 10), freezes and
stops Redis under orders (row 11) and restarts PostgreSQL under load (row 12). Each row records
its figures through `scorecard.results`. Everything started here is stopped here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import requests

from scorecard import results
from scorecard.processes import CeleryWorker, DisposablePostgres, DisposableRedis, Gunicorn

# Tracebacks and driver names must never reach a client.
LEAK = re.compile(r"Traceback|psycopg|OperationalError|InterfaceError|File \"/|django\.db", re.IGNORECASE)


@dataclass
class Context:
    pg: DisposablePostgres
    redis: DisposableRedis
    env: dict[str, str]
    email_dir: Path
    logs: Path
    worker: CeleryWorker | None = None
    server: Gunicorn | None = None
    stopped: list[Callable[[], None]] = field(default_factory=list)


@dataclass
class Shop:
    variants: list
    customers: list
    tokens: dict[int, str]


def report(row: int, check: str, figure: str, passed: bool) -> None:
    print(results.format_result(results.record(row, check, figure, passed)), flush=True)


# --- data -------------------------------------------------------------------------------------


def seed_shop(*, products: int, customers: int, stock: int = 100_000, balance: str = "9000.00") -> Shop:
    """Products with stock brought in through the ledger, and customers with funded wallets."""
    from rest_framework_simplejwt.tokens import AccessToken

    from inventory.services import stock_restock
    from payments.services import wallet_charge
    from tests.factories.accounts import CustomerFactory, SellerFactory
    from tests.factories.commerce import CategoryFactory, VariantFactory

    seller = SellerFactory()
    category = CategoryFactory()
    variants = []
    for n in range(products):
        variant = VariantFactory(
            product__seller=seller, product__category=category, price=Decimal("3.00") + n, stock=False
        )
        stock_restock(variant_id=variant.pk, quantity=stock, reason="scorecard")
        variants.append(variant)
    users = [CustomerFactory().user for _ in range(customers)]
    for user in users:
        wallet_charge(user=user, amount=balance)
    # Access tokens for an hour: the fault rows outlast the 15-minute default.
    tokens = {}
    for user in users:
        token = AccessToken.for_user(user)
        token.set_exp(lifetime=dt.timedelta(hours=1))
        tokens[user.pk] = str(token)
    return Shop(variants=variants, customers=users, tokens=tokens)


def rollup_rows(day: dt.date) -> dict[int, tuple[int, Decimal]]:
    from orders.models import ProductDailySales

    return {r.product_id: (r.quantity, r.revenue) for r in ProductDailySales.objects.filter(date=day)}


def spoil_rollup(day: dt.date, shop: Shop) -> None:
    """Stale rows a rollup must replace: a wrong count and a product that sold nothing that day."""
    from orders.models import ProductDailySales
    from tests.factories.commerce import ProductFactory

    ProductDailySales.objects.update_or_create(
        product=shop.variants[0].product, date=day, defaults={"quantity": 99_999, "revenue": Decimal("1.00")}
    )
    ProductDailySales.objects.update_or_create(
        product=ProductFactory(), date=day, defaults={"quantity": 7, "revenue": Decimal("7.00")}
    )


def blocked_rollup_backends(dsn: str) -> int:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query ILIKE '%orders_productdailysales%'"
        ).fetchone()
    return int(row[0]) if row else 0


def wait_for(predicate: Callable[[], bool], timeout: float, interval: float = 0.2) -> float | None:
    """Seconds until `predicate()` held, or None if it did not within `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            if predicate():
                return time.monotonic() - start
        except Exception:  # noqa: BLE001 - a database that is still coming back is just "not yet"
            from django.db import connections

            connections.close_all()
        time.sleep(interval)
    return None


def psycopg_dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


# --- row 10 -----------------------------------------------------------------------------------


def row10_worker_death(ctx: Context) -> None:
    import psycopg
    from django.utils import timezone

    from orders.services import order_place, sales_rollup
    from orders.tasks import sales_rollup_task

    shop = seed_shop(products=8, customers=10)
    for n in range(60):
        user = shop.customers[n % len(shop.customers)]
        lines = [{"variant_id": shop.variants[(n + k) % 8].pk, "quantity": 1 + (n + k) % 3} for k in range(1 + n % 3)]
        order_place(user=user, lines=lines)
    day = timezone.now().date()
    dsn = psycopg_dsn(ctx.pg.url)

    def run_killed(kill: Callable[[CeleryWorker], None], restart: bool) -> tuple[float | None, dict, str]:
        spoil_rollup(day, shop)
        stale = rollup_rows(day)
        locker = psycopg.connect(dsn)
        # Hold the rollup's writes so the task is caught mid-run: it has read the day's sales and
        # waits to replace the rows when the worker is killed.
        locker.execute("LOCK TABLE orders_productdailysales IN SHARE ROW EXCLUSIVE MODE")
        sales_rollup_task.delay(day.isoformat())
        caught = wait_for(lambda: blocked_rollup_backends(dsn) > 0, 60)
        if caught is None:
            locker.rollback()
            raise RuntimeError(f"the rollup never started:\n{ctx.worker.log_tail() if ctx.worker else ''}")
        assert ctx.worker is not None
        kill(ctx.worker)
        killed_at = time.monotonic()
        locker.rollback()
        locker.close()
        if restart:
            ctx.worker = CeleryWorker(env=ctx.env, concurrency=1, log_path=ctx.logs / "worker-10b.log").start()
        back = wait_for(lambda: rollup_rows(day) != stale and _rollup_done(day), 90, 0.5)
        return (None if back is None else time.monotonic() - killed_at), rollup_rows(day), stale

    def _rollup_done(day: dt.date) -> bool:
        rows = rollup_rows(day)
        return bool(rows) and all(q != 99_999 for q, _ in rows.values()) and len(rows) == len(expected_products)

    from orders.models import SOLD_STATES, OrderItem

    expected_products = set(
        OrderItem.objects.filter(order__paid_at__date=day, order__status__in=[str(s) for s in SOLD_STATES])
        .values_list("product_id", flat=True)
        .distinct()
    )

    def clean_run() -> dict:
        sales_rollup(day=day)
        return rollup_rows(day)

    # a) kill -9 the pool process running the task: the worker gives the task back, it reruns.
    ctx.worker = CeleryWorker(env=ctx.env, concurrency=1, log_path=ctx.logs / "worker-10a.log").start()
    ctx.worker.wait_ready()

    def kill_pool(worker: CeleryWorker) -> None:
        for pid in worker.pool_pids():
            os.kill(pid, 9)

    seconds, after, _stale = run_killed(kill_pool, restart=False)
    clean = clean_run()
    log = ctx.worker.log_path.read_text(errors="replace")
    lost = "WorkerLostError" in log or "SIGKILL" in log
    report(
        10,
        "kill -9 the pool process mid-rollup",
        (
            f"reran in {seconds:.1f}s, ProductDailySales {'equals' if after == clean else 'DIFFERS from'} "
            f"a clean run ({len(clean)} products)"
            if seconds is not None
            else "the task did not come back within 90s"
        )
        + ("" if lost else " (the worker did not report the lost process)"),
        seconds is not None and after == clean,
    )

    # b) kill -9 the whole worker: the broker gives the unacknowledged task to the next worker.
    seconds, after, _stale = run_killed(lambda worker: worker.kill_all(), restart=True)
    clean = clean_run()
    report(
        10,
        "kill -9 the whole worker mid-rollup, start another",
        (
            f"the task came back in {seconds:.1f}s (limit 30s), rows "
            f"{'identical to' if after == clean else 'DIFFERENT from'} a clean run"
            if seconds is not None
            else "the task never came back (90s)"
        ),
        seconds is not None and seconds <= 30 and after == clean,
    )


# --- row 11 -----------------------------------------------------------------------------------


def _order_request(server_url: str, token: str, variant_id: int, timeout: float = 60) -> tuple[int, float, str]:
    start = time.monotonic()
    try:
        response = requests.post(
            f"{server_url}/api/v1/orders/",
            json={"items": [{"variant_id": variant_id, "quantity": 1}]},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
            timeout=timeout,
        )
        return response.status_code, time.monotonic() - start, response.text[:300]
    except requests.RequestException as exc:
        return 0, time.monotonic() - start, f"{exc.__class__.__name__}: {exc}"[:300]


def delivered(order_numbers: list[str], email_dir: Path) -> dict[str, int]:
    """How many confirmation e-mails each order got (the file backend writes one file a message)."""
    counts = dict.fromkeys(order_numbers, 0)
    for path in email_dir.glob("*"):
        text = path.read_text(errors="replace")
        for number in re.findall(r"^Subject: Your order (\S+) is confirmed", text, re.MULTILINE):
            if number in counts:
                counts[number] += 1
    return counts


def delivered_once(order_numbers: list[str], email_dir: Path, timeout: float = 240) -> tuple[float | None, str, bool]:
    """Wait until the orders' notifications are all marked sent, then count the e-mails each order got.

    Returns (seconds it took or None, the figure, passed): passed when every order got exactly one.
    """
    from orders.models import OrderNotification

    def all_sent() -> bool:
        pending = OrderNotification.objects.filter(order__order_number__in=order_numbers).exclude(status="sent")
        return not pending.exists()

    took = wait_for(all_sent, timeout, 1)
    counts = delivered(order_numbers, email_dir)
    once = sum(1 for n in counts.values() if n == 1)
    wrong = {number: n for number, n in counts.items() if n != 1}
    figure = (
        f"{once} of {len(order_numbers)} delivered exactly once"
        + (f" within {took:.0f}s" if took is not None else f" (some still pending after {timeout:.0f}s)")
        + (f"; not once (order: e-mails): {dict(list(wrong.items())[:5])}" if wrong else "")
    )
    return took, figure, took is not None and bool(order_numbers) and not wrong


def _sign_in_page(server_url: str, email: str, password: str) -> tuple[int, int, float]:
    """GET the sign-in page, POST the form; (GET status, POST status, seconds)."""
    start = time.monotonic()
    session = requests.Session()
    page = session.get(f"{server_url}/accounts/signin/", timeout=30)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    posted = session.post(
        f"{server_url}/accounts/signin/",
        data={"username": email, "password": password, "csrfmiddlewaretoken": match.group(1) if match else ""},
        headers={"Referer": f"{server_url}/accounts/signin/"},
        allow_redirects=False,
        timeout=30,
    )
    signed_in = posted.status_code == 302 and session.get(f"{server_url}/accounts/", timeout=30).status_code == 200
    return page.status_code, posted.status_code if signed_in else -posted.status_code, time.monotonic() - start


def row11_redis_outage(ctx: Context) -> None:
    from orders.models import Order
    from tests.factories.accounts import DEFAULT_PASSWORD

    shop = seed_shop(products=4, customers=21)
    ctx.worker = CeleryWorker(env=ctx.env, concurrency=2, beat=True, log_path=ctx.logs / "worker-11.log").start()
    ctx.server = Gunicorn(env=ctx.env, workers=2, threads=8, log_path=ctx.logs / "gunicorn-11.log").start()
    ctx.worker.wait_ready()
    warm = _order_request(ctx.server.url, shop.tokens[shop.customers[-1].pk], shop.variants[0].pk)
    if warm[0] != 201:
        raise RuntimeError(f"an order with Redis up failed: {warm}")
    # Freeze Redis with the worker idle: the warm order's messages (its e-mail and in-app rows) sent
    # and acknowledged first. A freeze that lands on an acknowledgement in flight leaves kombu's
    # consumer stuck for about four minutes ("Couldn't ack ... Timeout reading from socket"; seen on
    # 2026-12-06): a known worker weakness this row does not measure, noted in the README.
    from common.models import Notification

    unsent = Notification.objects.filter(status__in=["pending", "sending"])
    if wait_for(lambda: not unsent.exists(), 30, 0.2) is None:
        raise RuntimeError("the warm order's notifications were not sent within 30 s with Redis up")
    time.sleep(1)  # a task is acknowledged just after it records its row as sent

    before = set(Order.objects.values_list("pk", flat=True))
    ctx.redis.pause()
    try:
        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(
                pool.map(
                    lambda n: _order_request(
                        ctx.server.url, shop.tokens[shop.customers[n].pk], shop.variants[n % 4].pk
                    ),
                    range(20),
                )
            )
    finally:
        ctx.redis.resume()
    slowest = max(seconds for _, seconds, _ in answers)
    server_errors = [a for a in answers if a[0] >= 500 or a[0] == 0]
    new_orders = list(Order.objects.exclude(pk__in=before).values_list("order_number", flat=True))
    report(
        11,
        "Redis frozen (SIGSTOP) during 20 orders",
        f"slowest response {slowest:.1f}s (limit 2s), {len(server_errors)} 5xx, "
        f"{sum(1 for a in answers if a[0] == 201)} of 20 placed, {len(new_orders)} committed"
        + (f"; e.g. {server_errors[0]}" if server_errors else ""),
        slowest <= 2 and not server_errors and len(new_orders) == 20,
    )

    _took, figure, once = delivered_once(new_orders, ctx.email_dir)
    report(
        11,
        "notifications queued during the freeze, delivered once Redis is back",
        figure,
        once and len(new_orders) == 20,
    )

    # Redis stopped: pages from the database, sign-in through the database.
    ctx.redis.stop()
    try:
        product = shop.variants[0].product
        pages = {}
        for path in ["/", "/products/", f"/products/{product.pk}/", "/healthz", "/api/v1/products/"]:
            start = time.monotonic()
            try:
                status = requests.get(f"{ctx.server.url}{path}", timeout=30).status_code
            except requests.RequestException as exc:
                status = f"{exc.__class__.__name__}"
            pages[path] = (status, time.monotonic() - start)
        get_status, post_status, seconds = _sign_in_page(ctx.server.url, shop.customers[0].email, DEFAULT_PASSWORD)
        api_order = _order_request(ctx.server.url, shop.tokens[shop.customers[1].pk], shop.variants[1].pk, timeout=30)
    finally:
        ctx.redis = DisposableRedis(port=ctx.redis.port).start()
    broken = {p: s for p, (s, _) in pages.items() if s != 200}
    report(
        11,
        "Redis stopped: pages render, sign-in works",
        f"{len(pages) - len(broken)} of {len(pages)} pages 200 (slowest {max(t for _, t in pages.values()):.1f}s)"
        f"{'; failing ' + str(broken) if broken else ''}; sign-in page {get_status}, sign-in "
        f"{'works' if post_status == 302 else f'FAILED ({post_status})'} in {seconds:.1f}s; "
        f"an API order {api_order[0]} in {api_order[1]:.1f}s",
        not broken and post_status == 302 and api_order[0] == 201,
    )


# --- row 12 -----------------------------------------------------------------------------------


@dataclass
class Hit:
    start: float
    end: float
    what: str
    status: int
    body: str  # the first 2,000 characters, for the report
    leaked: bool = False  # the whole body shows a traceback or a driver name


def row12_postgres_restart(ctx: Context) -> None:
    from django.db import connections

    from orders.models import Order
    from scorecard.invariants import all_violations

    shop = seed_shop(products=6, customers=12)
    if ctx.server is None:
        ctx.server = Gunicorn(env=ctx.env, workers=2, threads=8, log_path=ctx.logs / "gunicorn-12.log").start()
    if ctx.worker is None:
        ctx.worker = CeleryWorker(env=ctx.env, concurrency=2, beat=True, log_path=ctx.logs / "worker-12.log").start()
        ctx.worker.wait_ready()
    base = ctx.server.url
    product_id = shop.variants[0].product.pk
    hits: list[Hit] = []
    lock = threading.Lock()
    orders_before = set(Order.objects.values_list("pk", flat=True))
    stop_at = time.monotonic() + 30

    def load(n: int) -> None:
        session = requests.Session()
        user = shop.customers[n]
        headers = {"Authorization": f"Bearer {shop.tokens[user.pk]}"}
        step = 0
        while time.monotonic() < stop_at:
            step += 1
            kind = ["order", "products-api", "home", "product-page", "my-orders"][step % 5]
            start = time.monotonic()
            try:
                if kind == "order":
                    response = session.post(
                        f"{base}/api/v1/orders/",
                        json={"items": [{"variant_id": shop.variants[step % 6].pk, "quantity": 1}]},
                        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
                        timeout=30,
                    )
                elif kind == "products-api":
                    response = session.get(f"{base}/api/v1/products/", timeout=30)
                elif kind == "home":
                    response = session.get(f"{base}/", timeout=30)
                elif kind == "product-page":
                    response = session.get(f"{base}/products/{product_id}/", timeout=30)
                else:
                    response = session.get(f"{base}/api/v1/orders/", headers=headers, timeout=30)
                text = response.text  # every body is read whole, the successful ones too
                hit = Hit(start, time.monotonic(), kind, response.status_code, text[:2000], bool(LEAK.search(text)))
            except requests.RequestException as exc:
                hit = Hit(start, time.monotonic(), kind, 0, f"{exc.__class__.__name__}")
            with lock:
                hits.append(hit)
            time.sleep(0.05)

    threads = [threading.Thread(target=load, args=(n,), daemon=True) for n in range(6)]
    for thread in threads:
        thread.start()
    time.sleep(8)
    began = time.monotonic()
    # Down for a few seconds, as a real restart (or a fail-over) is, not the 0.3 s of pg_ctl restart.
    ctx.pg.stop_server("fast")
    time.sleep(3)
    ctx.pg.start_server()
    ended = time.monotonic()
    for thread in threads:
        thread.join(60)
    connections.close_all()

    errors = [h for h in hits if h.status >= 500 or h.status == 0]
    # A request that began before PostgreSQL was back may fail; one that began after must not.
    late = [h for h in errors if h.start > ended]
    early = [h for h in errors if h.end < began]
    # Every answer is read for a traceback, not only the errors: a 200 page may show one too.
    window = [h for h in hits if h.start <= ended and h.end >= began]
    leaked = [h for h in hits if h.leaked]
    report(
        12,
        "PostgreSQL restarted under load (6 clients, 30s)",
        f"{len(hits)} requests, down {ended - began:.1f}s, {len(errors) - len(late) - len(early)} errors inside that "
        f"window ({', '.join(sorted({str(h.status) for h in errors})) or 'none'}), "
        f"{len(late)} after it, {len(early)} before it; {len(leaked)} of {len(hits)} bodies "
        f"({sum(h.leaked for h in window)} of the {len(window)} answered during the window) showing a traceback"
        + (f"; e.g. {late[0].what} {late[0].status} at +{late[0].start - ended:.1f}s" if late else "")
        + (f"; e.g. {leaked[0].what} {leaked[0].status}: {leaked[0].body[:120]!r}" if leaked else ""),
        not late and not early and not leaked and len(hits) > 50,
    )

    # 0 tasks lost: every order committed under the load got its confirmation, and only once.
    new_orders = list(Order.objects.exclude(pk__in=orders_before).values_list("order_number", flat=True))
    _took, figure, once = delivered_once(new_orders, ctx.email_dir)
    report(12, "tasks lost across the restart: confirmations of the orders made under the load", figure, once)
    problems = all_violations()
    report(
        12,
        "invariants after the restart",
        f"{len(problems)} violations" + (": " + "; ".join(problems[:5]) if problems else ""),
        not problems,
    )


# --- runner -----------------------------------------------------------------------------------

ROWS: dict[int, Callable[[Context], None]] = {
    10: row10_worker_death,
    11: row11_redis_outage,
    12: row12_postgres_restart,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10,11,12")
    args = parser.parse_args(argv)
    rows = [int(r) for r in args.rows.split(",") if r.strip()]

    logs = Path(os.environ.get("SCORECARD_LOG_DIR") or tempfile.mkdtemp(prefix="scorecard-logs-"))
    logs.mkdir(parents=True, exist_ok=True)
    email_dir = logs / "mail"
    email_dir.mkdir(exist_ok=True)
    try:
        pg = DisposablePostgres().start()
    except Exception as exc:  # noqa: BLE001 - without a database no row can run; say why, per row
        for row in rows:
            report(row, "the row could not run", f"no disposable PostgreSQL: {exc}"[:400], False)
        print(f"fault rows {rows} did not run: {exc}", flush=True)
        return 1
    try:
        redis = DisposableRedis().start()
    except Exception as exc:  # noqa: BLE001
        pg.stop()
        for row in rows:
            report(row, "the row could not run", f"no disposable Redis: {exc}"[:400], False)
        print(f"fault rows {rows} did not run: {exc}", flush=True)
        return 1
    env = {
        "DATABASE_URL": pg.url,
        "REDIS_URL": redis.url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "SCORECARD_EMAIL_DIR": str(email_dir),
        "SCORECARD_CACHE_PREFIX": "faults",
        "SCORECARD_CONN_MAX_AGE": "60",
        "DJANGO_SETTINGS_MODULE": "scorecard.settings",
    }
    os.environ.update(env)
    ctx = Context(pg=pg, redis=redis, env=env, email_dir=email_dir, logs=logs)
    print(f"fault rows {rows}: PostgreSQL on {pg.port}, Redis on {redis.port}, logs in {logs}", flush=True)
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        for row in rows:
            started = time.monotonic()
            print(f"row {row}: {results.ROWS[row]} ...", flush=True)
            try:
                ROWS[row](ctx)
            except Exception as exc:  # noqa: BLE001 - a crashed row is a failed row, with its reason
                traceback.print_exc()
                report(row, "the row could not run", f"{exc.__class__.__name__}: {exc}"[:400], False)
            finally:
                for attr in ("server", "worker"):
                    process = getattr(ctx, attr)
                    if process is not None:
                        process.stop()
                        setattr(ctx, attr, None)
            print(f"row {row} took {time.monotonic() - started:.0f}s", flush=True)
    finally:
        for process in (ctx.server, ctx.worker):
            if process is not None:
                process.stop()
        ctx.redis.stop()
        pg.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
