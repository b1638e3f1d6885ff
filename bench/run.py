"""`make bench`: the shop's benchmark suite. See bench/README.md.

    .venv/bin/python bench/run.py [--scenario browse|popular|coupon|wallet|hotstock|orderpay|cardpay|cart]

Starts the shop under gunicorn (bench.settings: DEBUG off, PostgreSQL `shop_bench`, Redis
db 5, persistent connections) on 127.0.0.1 only, makes or reuses the data set, measures this
machine's limits (the floors), runs the scenarios for a fixed time after a warm-up, checks each
scenario's invariants in SQL, prints one table and writes it as JSON under bench/results/.
"""

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
VENV = Path(os.environ.get("VENV", ROOT / ".venv"))
PY = VENV / "bin" / "python"
HOST = "127.0.0.1"  # the only address any scenario sends to
DB_NAME = "shop_bench"
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
SCENARIOS = ["browse", "render", "popular", "coupon", "wallet", "hotstock", "orderpay", "cardpay", "cart"]
WARMUP = int(os.environ.get("BENCH_WARMUP", "5"))  # wrk: seconds before each endpoint is measured
MEASURE = int(os.environ.get("BENCH_MEASURE", "15"))  # wrk: seconds measured per endpoint and concurrency
FLOW_WARMUP = int(os.environ.get("BENCH_FLOW_WARMUP", "10"))  # locust flows
FLOW_MEASURE = int(os.environ.get("BENCH_FLOW_MEASURE", "30"))
# The floor is measured again right beside every measurement it is compared with: other work on
# a shared machine comes and goes within minutes, and a floor from the start of the run would
# turn that into fake ratios.
FLOOR_SECONDS = int(os.environ.get("BENCH_FLOOR_SECONDS", "8"))
WORKERS = int(os.environ.get("BENCH_WORKERS", 2 * (os.cpu_count() or 1) + 1))
# cardpay: the Celery worker's processes (webhooks, captures), and how long the run may take to
# settle after the load stops (the last webhooks delivered, the last captures made).
CELERY_CONCURRENCY = int(os.environ.get("BENCH_CELERY_CONCURRENCY", "2"))
SETTLE_SECONDS = int(os.environ.get("BENCH_SETTLE_SECONDS", "120"))

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
os.environ["BENCH_DATABASE_URL"] = f"{PG}/{DB_NAME}"
os.environ["BENCH_REDIS_URL"] = REDIS
sys.path.insert(0, str(ROOT))


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- setup ------------------------------------------------------------------------------------


def ensure_tools() -> None:
    missing = [pkg for tool, pkg in (("wrk", "wrk"), ("pgbench", "postgresql-contrib")) if not shutil.which(tool)]
    if missing:
        say(f"installing {' '.join(missing)} (apt)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env)


def psql(sql: str, db: str = "postgres") -> str:
    import psycopg

    with psycopg.connect(f"{PG}/{db}", autocommit=True) as conn:
        cur = conn.execute(sql)
        return str(cur.fetchone()[0]) if cur.description else ""


def manage(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([str(PY), "manage.py", *args], cwd=ROOT, check=check)


def prepare_database() -> None:
    if psql(f"SELECT count(*) FROM pg_database WHERE datname = '{DB_NAME}'") == "0":
        psql(f"CREATE DATABASE {DB_NAME}")
    manage("migrate", "--no-input", "-v0")
    manage("collectstatic", "--no-input", "-v0")
    tokens = str(RESULTS / "tokens.json")
    done = manage("bench_data", "--tokens-out", tokens, check=False)
    if done.returncode == 3:  # another scale or version: start over in a new database
        say(f"dropping {DB_NAME} to generate the data set again")
        psql(f"DROP DATABASE {DB_NAME} WITH (FORCE)")
        psql(f"CREATE DATABASE {DB_NAME}")
        manage("migrate", "--no-input", "-v0")
        done = manage("bench_data", "--tokens-out", tokens, check=False)
    if done.returncode != 0:
        raise SystemExit("bench_data failed")
    import redis

    redis.Redis.from_url(REDIS).flushdb()  # our own db: cached pages and queued tasks of earlier runs


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    def __init__(self) -> None:
        self.port = int(os.environ.get("BENCH_PORT", 0)) or free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(RESULTS / "gunicorn.log", "w")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [str(VENV / "bin" / "gunicorn"), "config.wsgi", "--workers", str(WORKERS), "--bind",
             f"{HOST}:{self.port}", "--backlog", "4096", "--timeout", "120", "--log-level", "warning"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as r:
                    if r.status == 200:
                        say(f"gunicorn up on {self.url} ({WORKERS} sync workers)")
                        return
            except OSError:
                time.sleep(0.5)
        raise SystemExit("gunicorn did not start; see bench/results/gunicorn.log")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(self.url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()


def send_json(server: "Server", method: str, path: str, body: Any,
              headers: dict[str, str]) -> tuple[int, dict[str, str]]:  # fmt: skip
    """One JSON request (a write the scenarios' probes make); its status and headers."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(server.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", **headers})  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers)


class Worker:
    """A Celery worker on the bench's broker (Redis db 5), for the scenarios whose work finishes
    in tasks (cardpay: the processor's webhooks, captures). The sandbox posts its webhooks over
    HTTP to the bench server's `POST /api/v1/webhooks/sandbox/` (`SANDBOX_WEBHOOK_URL`), as a
    real processor does, so they are served, verified and applied like any request."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.process: subprocess.Popen | None = None
        self.name = f"bench-{os.getpid()}@{socket.gethostname()}"

    def start(self) -> None:
        import redis

        # Tasks earlier scenarios queued (their notifications) that no worker ran: not this one's work.
        dropped = redis.Redis.from_url(REDIS).delete("celery")
        env = {**os.environ, "SANDBOX_WEBHOOK_URL": f"{self.server.url}/api/v1/webhooks/sandbox/"}
        log = open(RESULTS / "celery.log", "w")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [str(VENV / "bin" / "celery"), "-A", "config", "worker", "--concurrency", str(CELERY_CONCURRENCY),
             "--loglevel", "warning", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "--hostname", self.name],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        from config.celery import app

        for _ in range(120):
            if app.control.ping(destination=[self.name], timeout=1.0):
                say(f"celery worker up ({CELERY_CONCURRENCY} processes; "
                    f"{'an earlier queue' if dropped else 'no queue'} dropped)")  # fmt: skip
                return
            if self.process.poll() is not None:
                break
            time.sleep(1)
        raise SystemExit("the celery worker did not start; see bench/results/celery.log")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def queued_tasks() -> int:
    import redis

    return int(redis.Redis.from_url(REDIS).llen("celery"))


# --- load generators --------------------------------------------------------------------------


def wrk(server: Server, paths: list[str], *, connections: int, seconds: int, unique: bool = False,
        header: str | None = None) -> dict[str, Any]:  # fmt: skip
    """GETs rotating over `paths` for `seconds`; requests/s, p50, p99 (ms) and errors. With
    `unique`, every request's URL is one of a kind, so the shop renders every answer; `header`
    ("Name: value") goes with every request (a session cookie, a bearer token)."""
    paths_file = RESULTS / "paths.txt"
    paths_file.write_text("\n".join(paths) + "\n")
    env = {**os.environ, "BENCH_PATHS": str(paths_file), **({"BENCH_UNIQUE": "1"} if unique else {}),
           **({"BENCH_HEADER": header} if header else {})}  # fmt: skip
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
         "-s", str(BENCH / "wrk" / "rotate.lua"), server.url],
        env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    data = json.loads(out.split("BENCH_JSON", 1)[1].strip().splitlines()[0])
    socket_errors = data["connect"] + data["read"] + data["write"] + data["timeout"]
    return {
        "rps": data["requests"] / (data["duration_us"] / 1e6),
        "p50": data["p50_us"] / 1000,
        "p99": data["p99_us"] / 1000,
        "errors": data["non2xx"] + socket_errors,
        "requests": data["requests"],
        "non2xx": data["non2xx"],
        "socket_errors": socket_errors,
    }


def locust(server: Server, name: str, fixture: dict[str, Any], *, users: int, spawn_rate: int, seconds: int,
           warmup: int, measure: int) -> dict[str, Any]:  # fmt: skip
    fixture_file = RESULTS / f"fixture-{name}.json"
    out_file = RESULTS / f"locust-{name}-{users}.json"
    fixture_file.write_text(json.dumps(fixture))
    out_file.unlink(missing_ok=True)
    env = {**os.environ, "BENCH_FIXTURE": str(fixture_file), "BENCH_OUT": str(out_file),
           "BENCH_WARMUP": str(warmup), "BENCH_MEASURE": str(measure)}  # fmt: skip
    subprocess.run(
        [str(VENV / "bin" / "locust"), "-f", str(BENCH / "locustfiles" / f"{name}.py"), "--headless",
         "-u", str(users), "-r", str(spawn_rate), "-t", f"{seconds}s", "--host", server.url, "--only-summary",
         "--loglevel", "ERROR", "--stop-timeout", "10", "--exit-code-on-error", "0"],
        cwd=BENCH / "locustfiles", env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        timeout=seconds + 120,
    )  # fmt: skip
    if not out_file.exists():
        raise SystemExit(f"locust {name} wrote no results")
    return json.loads(out_file.read_text())


def summarize(result: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """requests/s, p50/p99 and errors over these endpoints of a locust result (exact percentiles)."""
    count = sum(result["endpoints"].get(n, {}).get("count", 0) for n in names)
    worst = [result["endpoints"][n] for n in names if n in result["endpoints"]]
    errors = 0
    for _name, endpoint in result["endpoints"].items():
        for status, n in endpoint["statuses"].items():
            if int(status) >= 500 or int(status) == 0:
                errors += n
    return {
        "rps": count / result["duration"],
        # with several endpoints, the slowest one's percentiles (weighted merging would hide it)
        "p50": max((e["p50"] or 0) for e in worst) if worst else None,
        "p99": max((e["p99"] or 0) for e in worst) if worst else None,
        "errors": errors,
    }


def status_count(result: dict[str, Any], name: str, *statuses: int) -> int:
    counts = result["endpoints"].get(name, {}).get("statuses", {})
    return sum(counts.get(str(s), 0) for s in statuses)


def unexpected(result: dict[str, Any], allowed: dict[str, set[int]]) -> dict[str, dict[str, int]]:
    """Answers outside what the scenario expects (per endpoint), for the invariant column."""
    odd: dict[str, dict[str, int]] = {}
    for name, endpoint in result["endpoints"].items():
        bad = {s: n for s, n in endpoint["statuses"].items() if int(s) not in allowed.get(name, {200})}
        if bad:
            odd[name] = bad
    return odd


def pgbench(connections: int, seconds: int) -> dict[str, Any]:
    """The database's hot-row limit: one row, `UPDATE … SET n = n - 1 WHERE id = 1 AND n > 0`."""
    psql("CREATE TABLE IF NOT EXISTS bench_hot_row (id int PRIMARY KEY, n bigint NOT NULL)", DB_NAME)
    psql("INSERT INTO bench_hot_row VALUES (1, 1000000000000) ON CONFLICT (id) DO UPDATE SET n = EXCLUDED.n", DB_NAME)
    script = RESULTS / "hot_row.sql"
    script.write_text("UPDATE bench_hot_row SET n = n - 1 WHERE id = 1 AND n > 0;\n")
    host, port = re.match(r"postgres://[^@]*@([^:/]+):?(\d*)", PG).groups()
    out = subprocess.run(
        ["pgbench", "-n", "-h", host, "-p", port or "5432", "-U", "postgres", "-c", str(connections),
         "-j", "2", "-T", str(seconds), "-f", str(script), DB_NAME],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    tps = re.search(r"tps = ([\d.]+)", out.stdout)
    latency = re.search(r"latency average = ([\d.]+) ms", out.stdout)
    if not tps:
        return {"rps": None, "p50": None, "p99": None, "errors": 1, "note": (out.stderr or out.stdout)[-300:]}
    return {"rps": float(tps.group(1)), "p50": None, "p99": None, "errors": 0,
            "latency_avg": float(latency.group(1)) if latency else None}  # fmt: skip


# --- the run ----------------------------------------------------------------------------------


class Run:
    def __init__(self, server: Server, scenarios: list[str]) -> None:
        self.server = server
        self.scenarios = scenarios
        self.rows: list[dict[str, Any]] = []
        self.floors: dict[str, Any] = {}
        from catalog.models import Product

        self.product_ids = list(
            Product.objects.filter(variants__sku__startswith="BENCH-").values_list("id", flat=True).distinct()[:2000]
        )
        self.tokens = RESULTS / "tokens.json"

    def row(self, scenario: str, measure: str, clients: Any, result: dict[str, Any], *, invariant: str = "-",
            target: str = "-", met: bool | None = None, **extra: Any) -> dict[str, Any]:  # fmt: skip
        row = {"scenario": scenario, "measure": measure, "clients": clients, **result, "invariant": invariant,
               "target": target, "target_met": met, **extra}  # fmt: skip
        self.rows.append(row)
        say(f"{scenario:9} {measure:34} {_fmt(row['rps'])} req/s  p50 {_fmt(row['p50'])}  p99 {_fmt(row['p99'])}"
            f"  errors {row['errors']}  {invariant}  {target}")  # fmt: skip
        return row

    def measure_get(
        self, paths: list[str], connections: list[int], *, beside: bool = True, unique: bool = False,
        header: str | None = None, warmup: bool = True,
    ) -> dict[int, dict[str, Any]]:  # fmt: skip
        """Each concurrency measured for MEASURE s after one warm-up; with `beside`, the framework
        floor is measured at the same concurrency right after (`floor_rps`)."""
        if warmup:  # not measured
            wrk(self.server, paths, connections=connections[0], seconds=WARMUP, unique=unique, header=header)
        results = {}
        for c in connections:
            results[c] = wrk(self.server, paths, connections=c, seconds=MEASURE, unique=unique, header=header)
            if beside:
                results[c]["floor_rps"] = wrk(self.server, ["/_bench/floor"], connections=c, seconds=FLOOR_SECONDS)[
                    "rps"
                ]
        return results

    def locust_floor(self, users: int, spawn_rate: int | None = None) -> float:
        """The DRF floor through locust with as many users as the flow, measured right before it
        (a locust with 2,000 users costs the machine more than one with 32)."""
        spawn_rate = spawn_rate or users
        warmup = 3 + users // spawn_rate
        result = locust(self.server, "floor", {"product_ids": self.product_ids}, users=users, spawn_rate=spawn_rate,
                        seconds=warmup + FLOOR_SECONDS + 2, warmup=warmup, measure=FLOOR_SECONDS + 2)  # fmt: skip
        r = summarize(result, ["pk"])
        self.floors.setdefault(f"locust-pk@{users}", []).append(r["rps"])
        return r["rps"]

    # floors
    def floors_measure(self, need_pgbench: bool) -> None:
        say("floors: the framework (bare view) and one DRF primary-key read")
        floor = self.measure_get(["/_bench/floor"], [8, 32], beside=False)
        for c, r in floor.items():
            self.floors[f"floor@{c}"] = r["rps"]
            self.row("floor", "bare Django view (wrk)", c, r)
        pk_paths = [f"/_bench/pk/{pk}" for pk in self.product_ids]
        pk = self.measure_get(pk_paths, [8, 32], beside=False)
        for c, r in pk.items():
            self.floors[f"pk@{c}"] = r["rps"]
            self.row("floor", "DRF one-PK read (wrk)", c, r)
        if need_pgbench:
            for c in (8, 16, 32):
                self.row("floor", "hot-row UPDATE … WHERE n > 0 (pgbench)", c, pgbench(c, 10))

    @staticmethod
    def ratio(rps: float, floor_rps: float | None) -> float:
        return rps / floor_rps if floor_rps else 0.0

    def query_counts(self, paths: list[str]) -> list[int]:
        """The queries each path costs when the shop renders it (a URL no whole-page cache has
        seen). Each path is asked for once first, so the parts every visitor shares
        (`common.public_cache.shared_value`) are kept, as they are for every path but the first
        visit's: a count that still differs between pages is a query per row."""
        for path in paths:
            self.server.get(path)
        counts = []
        for n, path in enumerate(paths):
            rendered = f"{path}{'&' if '?' in path else '?'}_bench=probe-{time.time_ns()}-{n}"
            status, headers, _ = self.server.get(rendered, {"X-Bench-Queries": "1"})
            counts.append(int(headers.get("X-Bench-Queries", -1)) if status == 200 else -status)
        return counts

    # 1. browse
    def browse(self) -> None:
        ids = self.product_ids
        words = ["lamp", "chair", "table", "mug", "shirt", "scarf", "kettle", "bowl", "pen", "notebook", "rug", "vase"]
        endpoints = [
            ("product list page", ["/products/"], ["/products/", "/products/?page=2", "/products/?page=3"], True),
            ("product list API page 1", ["/api/v1/products/?page=1"],
             ["/api/v1/products/?page=1", "/api/v1/products/?page=2", "/api/v1/products/?page=3"], True),
            ("product detail page", [f"/products/{i}/" for i in ids], [f"/products/{i}/" for i in ids[:5]], True),
            ("product detail API", [f"/api/v1/products/{i}/" for i in ids],
             [f"/api/v1/products/{i}/" for i in ids[:5]], True),
            ("search page", [f"/products/?q={w}" for w in words], [f"/products/?q={w}" for w in words[:5]], False),
        ]  # fmt: skip
        for label, paths, probes, has_target in endpoints:
            # What a visitor gets: anonymous answers are cached (common/public_cache.py); every
            # path is asked for once first, so the measure is the steady state, not a cold start ...
            self.prime(paths)
            results = self.measure_get(paths, [8, 32])
            counts = self.query_counts(probes)
            constant = len(set(counts)) == 1 and counts[0] >= 0
            served = self.cache_state(paths[0])
            for c, r in results.items():
                ok = constant and r["errors"] == 0
                invariant = f"{'ok' if ok else 'FAIL'}: queries/render {counts[0] if constant else counts}, {served}"
                if r["non2xx"]:
                    invariant += f", {r['non2xx']} non-2xx"
                ratio = self.ratio(r["rps"], r["floor_rps"])
                beside = f"{ratio:.0%} of floor ({r['floor_rps']:.0f}/s)"
                if has_target and c == 8:
                    met = ratio >= 0.5 and r["p99"] <= 50
                    target = f"{beside} (≥50%), p99 ≤ 50 ms"
                else:
                    met, target = None, beside
                self.row("browse", label, c, r, invariant=invariant, target=target, met=met, queries=counts)
            # ... and what each answer costs when the shop renders it (every URL one of a kind).
            rendered = self.measure_get(paths, [8], unique=True)[8]
            ok = constant and rendered["errors"] == 0
            ratio = self.ratio(rendered["rps"], rendered["floor_rps"])
            self.row("browse", f"{label}, rendered (no cache)", 8, rendered,
                     invariant=f"{'ok' if ok else 'FAIL'}: queries/render {counts[0] if constant else counts}",
                     target=f"{ratio:.0%} of floor ({rendered['floor_rps']:.0f}/s)", queries=counts)  # fmt: skip

    # 2. fresh renders, as shoppers arrive: every product, signed in or on a URL nobody asked for
    def render(self) -> None:
        """Pages rendered for the visitor (no whole-page cache can answer): anonymous on URLs no
        one asked for before (`unique`), signed in with a session cookie, the API with a JWT,
        rotating over EVERY product and category; no warm-up, so what the shared parts of pages
        (`common.public_cache.shared_value`) have not seen yet is computed during the measure."""
        from catalog.models import Category, Product

        every_product = list(Product.objects.filter(status="active").order_by("?").values_list("id", flat=True))
        categories = list(Category.objects.filter(is_active=True).values_list("slug", flat=True))
        words = ["lamp", "chair", "table", "mug", "shirt", "scarf", "kettle", "bowl", "pen", "notebook", "rug", "vase"]
        cookie, token = self.signed_in_customer(every_product)
        product_pages = [f"/products/{i}/" for i in every_product]
        list_pages = [f"/products/?page={n}" for n in range(1, 51)]
        rows: list[tuple[str, list[str], str | None, bool, float]] = [
            ("product detail, anonymous, every product", product_pages, None, True, 0.25),
            ("product detail, signed in, every product", product_pages, cookie, False, 0.25),
            ("product list, anonymous, pages 1-50", list_pages, None, True, 0.25),
            ("product list, signed in, pages 1-50", list_pages, cookie, False, 0.25),
            ("search, anonymous", [f"/products/?q={w}" for w in words], None, True, 0.25),
            ("search, signed in", [f"/products/?q={w}" for w in words], cookie, False, 0.25),
            ("category, anonymous, every category", [f"/categories/{c}/" for c in categories], None, True, 0.25),
            ("category, signed in, every category", [f"/categories/{c}/" for c in categories], cookie, False, 0.25),
            ("product detail API, JWT, every product", [f"/api/v1/products/{i}/" for i in every_product],
             token, False, 0.25),
            ("product list API, JWT, pages 1-50", [f"/api/v1/products/?page={n}" for n in range(1, 51)], token,
             False, 0.25),
            ("cart page, signed in", ["/cart/"], cookie, False, 0.15),
            ("order history, signed in", ["/orders/"], cookie, False, 0.15),
        ]  # fmt: skip
        for label, paths, header, unique, share in rows:
            r = self.measure_get(paths, [8], unique=unique, header=header, warmup=False)[8]
            ratio = self.ratio(r["rps"], r["floor_rps"])
            met = ratio >= share and r["p99"] <= 50 and r["errors"] == 0
            invariant = "ok" if r["errors"] == 0 else f"FAIL: {r['non2xx']} non-2xx, {r['socket_errors']} socket errors"
            target = f"{ratio:.0%} of floor ({r['floor_rps']:.0f}/s) (≥{share:.0%}), p99 ≤ 50 ms"
            self.row("render", label, 8, r, invariant=invariant, target=target, met=met)

    def signed_in_customer(self, product_ids: list[int]) -> tuple[str, str]:
        """A bench customer's session cookie (with a CSRF cookie, as a browser sends) and bearer
        header (from the app's sign-in); their cart gets three lines so the cart page shows some."""
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.middleware.csrf import _get_new_csrf_string
        from django.test import Client

        from accounts.services.tokens import user_api_sign_in
        from bench import fixtures
        from carts.models import CartItem
        from carts.services import cart_add_item
        from catalog.models import ProductVariant

        customer = fixtures.customers(self.tokens)[0]
        user = get_user_model().objects.get(pk=customer["id"])
        if not CartItem.objects.filter(cart__customer=user, cart__status="active").exists():
            variants = ProductVariant.objects.filter(product_id__in=product_ids[:3], status="active")
            for variant in variants[:3]:
                cart_add_item(user=user, variant_id=variant.pk, quantity=1)
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        cookie = (
            f"Cookie: {settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={_get_new_csrf_string()}"
        )
        # The app's own sign-in (its token names the sign-in, checked on every request), not a
        # token minted by tooling, which skips that check.
        pair = user_api_sign_in(user=user, user_agent="bench", ip_address="127.0.0.1")
        return cookie, f"Authorization: Bearer {pair.access}"

    def prime(self, paths: list[str]) -> None:
        """Ask for every path once (8 at a time), as visitors would have before the rush."""
        from concurrent.futures import ThreadPoolExecutor

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda path: self.server.get(path)[0], paths))
        say(f"primed {len(paths)} paths in {time.monotonic() - started:.0f} s ({statuses.count(200)} x 200)")

    def cache_state(self, path: str) -> str:
        """How the shop answers a second anonymous GET of `path`: from its cache or rendered."""
        self.server.get(path)
        _status, headers, _body = self.server.get(path)
        return "cache hit" if headers.get("X-Public-Cache") == "hit" else "not cached"

    # 6. popular products
    def popular(self) -> None:
        from django.db import connection

        path = "/api/v1/products/popular/?days=30&limit=10"
        results = self.measure_get([path], [8, 32])
        status, _, body = self.server.get(path)
        answer = [(e["product"]["id"], e["quantity"]) for e in json.loads(body)] if status == 200 else []
        with connection.cursor() as cursor:
            cursor.execute((BENCH / "invariants" / "popular.sql").read_text(), {"days": 30, "limit": 10})
            truth = [(int(p), int(q)) for p, q in cursor.fetchall()]
        ok = status == 200 and answer == truth and len(truth) == 10
        invariant = "ok: equals the SQL ground truth" if ok else f"FAIL: API {answer} != SQL {truth}"
        counts = self.query_counts([path] * 3)
        for c, r in results.items():
            ratio = self.ratio(r["rps"], r["floor_rps"])
            met = (ratio >= 0.8) if c == 8 else None
            target = f"{ratio:.0%} of floor ({r['floor_rps']:.0f}/s)" + (" (≥80%)" if c == 8 else "")
            self.row("popular", "popular products (30 days)", c, r,
                     invariant=invariant if r["errors"] == 0 else invariant + f", {r['errors']} errors",
                     target=target, met=met and ok and r["errors"] == 0 if met is not None else None,
                     queries=counts)  # fmt: skip

    # 3. coupon drop
    def coupon(self) -> None:
        from bench import fixtures

        customers = fixtures.customers(self.tokens)
        floor = self.locust_floor(len(customers), spawn_rate=500)
        fixture = {**fixtures.coupon_drop(quantity=100), "customers": customers, "after_sellout_seconds": FLOW_MEASURE,
                   "users": len(customers)}  # fmt: skip
        result = locust(self.server, "coupon", fixture, users=len(customers), spawn_rate=500, seconds=180,
                        warmup=0, measure=FLOW_MEASURE)  # fmt: skip
        extra = result["extra"]
        params = {"coupon_id": fixture["coupon_id"], "initial": 100, "customer_ids": [c["id"] for c in customers],
                  "issued_201": extra["issued_201"]}  # fmt: skip
        checks = run_sql("coupon.sql", params)
        odd = unexpected(result, {"claim (drop)": {201, 409}, "claim (after sell-out)": {409}})
        r = summarize(result, ["claim (drop)", "claim (after sell-out)"])
        drop = result["endpoints"].get("claim (drop)", {})
        answered = extra.get("sell_out_seconds")  # drop -> the client has the 100th 201
        # drop -> the 100th coupon row committed (same clock: one machine): "gone" in the database
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT extract(epoch FROM max(created_at)) FROM promotions_issuedcoupon "
                           "WHERE coupon_id = %s", [fixture["coupon_id"]])  # fmt: skip
            last_issued = cursor.fetchone()[0]
        sell_out = float(last_issued) - extra["drop_at"] if last_issued and extra.get("drop_at") else None
        ratio = self.ratio(r["rps"], floor)
        met = ratio >= 0.6 and sell_out is not None and sell_out <= 1.0
        self.row("coupon", "claim after sell-out", len(customers), r, invariant=verdict(checks, odd, r["errors"]),
                 target=f"{ratio:.0%} of PK read ({floor:.0f}/s) (≥60%); gone in {_fmt(sell_out, 2)} s (≤1 s), "
                        f"last 201 at {_fmt(answered, 2)} s",
                 met=met, checks=checks, unexpected=odd, sell_out_seconds=sell_out,
                 last_201_seconds=answered, drop_p99=drop.get("all_p99"), drop_p50=drop.get("all_p50"),
                 double_clicks=extra.get("double_clicks"))  # fmt: skip
        say(f"coupon: drop claims p50 {drop.get('all_p50')} ms, p99 {drop.get('all_p99')} ms, "
            f"{drop.get('all_count')} claims before sell-out")  # fmt: skip

    # 2. wallet storm
    def wallet(self) -> None:
        from django.utils import timezone

        from bench import fixtures

        fixture = fixtures.wallet_storm()
        since = timezone.now()
        allowed = {"charge": {201, 200}, "pay": {201, 402}}
        results = {}
        floors = {}
        for users, warmup in ((16, FLOW_WARMUP), (100, 5)):
            floors[users] = self.locust_floor(users)
            results[users] = locust(self.server, "wallet", fixture, users=users, spawn_rate=users,
                                    seconds=warmup + FLOW_MEASURE, warmup=warmup, measure=FLOW_MEASURE)  # fmt: skip
        charges = sum(status_count(r, "charge", 200, 201) for r in results.values())
        pays = sum(status_count(r, "pay", 201) for r in results.values())
        checks = run_sql("wallet.sql", {"user_id": fixture["user_id"], "since": since, "charges_201": charges,
                                        "pays_201": pays})  # fmt: skip
        for users, result in results.items():
            r = summarize(result, ["charge", "pay"])
            odd = unexpected(result, allowed)
            ratio = self.ratio(r["rps"], floors[users])
            if users == 16:
                met = ratio >= 0.4 and (r["p99"] or 1e9) <= 150
                target = f"{ratio:.0%} of PK read ({floors[users]:.0f}/s) (≥40%), p99 ≤ 150 ms"
            else:
                met, target = None, f"{ratio:.0%} of PK read ({floors[users]:.0f}/s)"
            paid = status_count(result, "pay", 201)
            self.row("wallet", f"charge + pay, one wallet ({paid} paid)", users, r,
                     invariant=verdict(checks, odd, r["errors"]), target=target, met=met, checks=checks,
                     unexpected=odd)  # fmt: skip

    # 4. hot stock
    def hotstock(self) -> None:
        from django.utils import timezone

        from bench import fixtures

        customers = fixtures.customers(self.tokens)
        fixture = {**fixtures.hot_stock(), "hot_customers": customers[:1000], "basket_customers": customers[1000:],
                   "hot_tries": min(1000, len(customers))}  # fmt: skip
        floor = self.locust_floor(32)
        deadlocks = int(psql(f"SELECT deadlocks FROM pg_stat_database WHERE datname = '{DB_NAME}'"))
        since = timezone.now()
        # ends when the window is over and all 1,000 hot customers have tried; hard limit 3 minutes more
        result = locust(self.server, "hotstock", fixture, users=32, spawn_rate=32,
                        seconds=FLOW_WARMUP + FLOW_MEASURE + 180, warmup=FLOW_WARMUP, measure=FLOW_MEASURE)  # fmt: skip
        attempts = result["extra"].get("hot_attempts", [])
        winners = [cid for cid, status, _ in attempts if status == 201]
        tried = [cid for cid, _, _ in attempts]
        losers = [cid for cid, status, _ in attempts if status == 409]
        params = {"since": since, "hot_variant_id": fixture["hot_variant_id"], "hot_initial": fixture["hot_initial"],
                  "basket_variant_ids": fixture["basket_variant_ids"], "basket_initial": fixture["basket_initial"],
                  "hot_customer_ids": tried, "hot_winners": winners, "losers": losers,
                  "all_customer_ids": [c["id"] for c in customers], "deadlocks_before": deadlocks}  # fmt: skip
        checks = run_sql("hotstock.sql", params)
        if len(tried) < 1000:
            checks.append({"check": "all 1,000 hot customers tried", "ok": False, "detail": f"{len(tried)} tried"})
        odd = unexpected(result, {"order hot variant": {201, 409}, "basket": {201}})
        r = summarize(result, ["order hot variant", "basket"])
        ratio = self.ratio(r["rps"], floor)
        ok = all(c["ok"] for c in checks) and not odd and r["errors"] == 0
        met = ratio >= 0.25 and (r["p99"] or 1e9) <= 250 and ok
        self.row("hotstock", f"order + pay ({len(winners)} of {len(tried)} hot won)", 32, r,
                 invariant=verdict(checks, odd, r["errors"]),
                 target=f"{ratio:.0%} of PK read ({floor:.0f}/s) (≥25%), p99 ≤ 250 ms",
                 met=met, checks=checks, unexpected=odd)  # fmt: skip

    # 5. order and pay with double clicks
    def orderpay(self) -> None:
        from django.utils import timezone

        from bench import fixtures

        customers = fixtures.customers(self.tokens)[:500]
        floor = self.locust_floor(32)
        fixture = {**fixtures.order_pay(holders=[c["id"] for c in customers]), "customers": customers}
        since = timezone.now()
        result = locust(self.server, "orderpay", fixture, users=32, spawn_rate=32,
                        seconds=FLOW_WARMUP + FLOW_MEASURE, warmup=FLOW_WARMUP, measure=FLOW_MEASURE)  # fmt: skip
        extra = result["extra"]
        params = {"since": since, "customer_ids": [c["id"] for c in customers], "coupon_id": fixture["coupon_id"],
                  "discount": fixture["discount"], "created_201": extra["created"]}  # fmt: skip
        checks = run_sql("orderpay.sql", params)
        checks.append({"check": "both answers of a double click name the same order",
                       "ok": not extra["pair_mismatches"],
                       "detail": f"{extra['pairs']} pairs, {len(extra['pair_mismatches'])} mismatched"})  # fmt: skip
        odd = {
            name: {s: n for s, n in e["statuses"].items() if int(s) not in (200, 201, 400, 402)}
            for name, e in result["endpoints"].items()
        }
        odd = {k: v for k, v in odd.items() if v}
        r = summarize(result, ["order", "order (double click)"])
        ratio = self.ratio(r["rps"], floor)
        self.row("orderpay", f"order + pay, 10% double clicks ({extra['created']} placed)", 32, r,
                 invariant=verdict(checks, odd, r["errors"]), target=f"{ratio:.0%} of PK read ({floor:.0f}/s)",
                 met=None, checks=checks, unexpected=odd)  # fmt: skip

    # 7. card checkout: order, pay, the bank's confirmation, the webhook
    def cardpay(self) -> None:
        from django.utils import timezone

        from bench import fixtures

        fixture = fixtures.card_pay()
        customer_ids = [c["id"] for c in fixture["customers"]]
        worker = Worker(self.server)
        worker.start()
        try:
            floor = self.locust_floor(32)
            since = timezone.now()
            result = locust(self.server, "cardpay", fixture, users=32, spawn_rate=32,
                            seconds=FLOW_WARMUP + FLOW_MEASURE, warmup=FLOW_WARMUP, measure=FLOW_MEASURE)  # fmt: skip
            extra = result["extra"]
            settle = card_settle(customer_ids, since, confirmed=[int(i) for i in extra["confirmed"]])
        finally:
            worker.stop()
        params = {"since": since, "customer_ids": customer_ids, "variant_ids": fixture["variant_ids"],
                  "initial": fixture["initial"], "created_201": extra["created"],
                  "captured_order_ids": extra["captured_order_ids"],
                  "confirmed_order_ids": [int(i) for i in extra["confirmed"]]}  # fmt: skip
        checks = run_sql("cardpay.sql", params)
        checks.append({"check": "both answers of a double click name the same payment",
                       "ok": not extra["pair_mismatches"],
                       "detail": f"{extra['pairs']} pairs, {len(extra['pair_mismatches'])} mismatched"})  # fmt: skip
        checks.append({"check": f"settled within {SETTLE_SECONDS} s", "ok": settle["settled"],
                       "detail": f"{settle['seconds']:.1f} s, {settle['waiting']} waiting"})  # fmt: skip
        allowed = {"order (card)": {201}, "pay": {201}, "pay (double click)": {200, 201},
                   "3-D Secure page": {200}, "3-D Secure approve": {302}}  # fmt: skip
        odd = unexpected(result, allowed)
        endpoints = list(allowed)
        r = summarize(result, endpoints)
        ratio = self.ratio(r["rps"], floor)
        lag = webhook_lag(extra["confirmed"])
        paid = paid_count(customer_ids, since)
        self.row("cardpay", f"card order + pay, 25% 3-D Secure ({paid} paid)", 32, r,
                 invariant=verdict(checks, odd, r["errors"]),
                 target=f"{ratio:.0%} of PK read ({floor:.0f}/s); 3-D Secure approved -> paid p50 "
                        f"{_fmt(lag['p50'], 2)} s, p99 {_fmt(lag['p99'], 2)} s",
                 met=None, checks=checks, unexpected=odd, settle=settle, webhook_lag=lag,
                 pay_answers=extra["pay_answers"])  # fmt: skip

    # 8. the cart API: guests (session, CSRF) and customers (JWT) add and read
    def cart(self) -> None:
        from django.utils import timezone

        from bench import fixtures
        from bench.cart_probe import cart_statements
        from carts.models import CartItem, CartStatus
        from catalog.models import ProductVariant

        # Not customers[0] (the render scenario's cart); other flows order without the cart.
        customers = fixtures.customers(self.tokens)[1000:1200]
        variant_ids = list(ProductVariant.objects.orderable().filter(product_id__in=self.product_ids[:200])
                           .values_list("id", flat=True)[:200])  # fmt: skip
        # The probe's customer starts with an empty cart (an earlier run's lines soft-deleted).
        prober = customers[-1]
        CartItem.objects.filter(cart__customer_id=prober["id"], cart__status=CartStatus.ACTIVE).update(
            deleted_at=timezone.now()
        )
        bearer = {"Authorization": f"Bearer {prober['token']}", "X-Bench-Queries": "1"}

        def send(method: str, path: str, body: Any) -> tuple[int, int]:
            status, headers = send_json(self.server, method, path, body, bearer)
            return status, int(headers.get("X-Bench-Queries", -1))

        probe = cart_statements(send, variant_ids[:6])
        CartItem.objects.filter(cart__customer_id=prober["id"], cart__status=CartStatus.ACTIVE).update(
            deleted_at=timezone.now()
        )
        floor = self.locust_floor(32)
        since = timezone.now()
        fixture = {"variant_ids": variant_ids, "customers": customers[:-1]}
        result = locust(self.server, "cart", fixture, users=32, spawn_rate=32,
                        seconds=FLOW_WARMUP + FLOW_MEASURE, warmup=FLOW_WARMUP, measure=FLOW_MEASURE)  # fmt: skip
        extra = result["extra"]
        checks = run_sql("cart.sql", {"since": since, "customer_ids": [c["id"] for c in customers],
                                      "guests": extra.get("guests", 0)})  # fmt: skip
        checks.append({"check": "statements of GET and POST cart/ equal with 1, 3 and 6 lines",
                       "ok": probe["constant"], "detail": json.dumps(probe["counts"])})  # fmt: skip
        checks.append({"check": "a CSRF token on every guest's page", "ok": extra.get("csrf_missing", 1) == 0,
                       "detail": f"{extra.get('csrf_missing')} missing"})  # fmt: skip
        allowed = {"page with a form (CSRF token)": {200}, "add (guest, session)": {201},
                   "cart (guest, session)": {200}, "add (JWT)": {201}, "cart (JWT)": {200},
                   "remove (JWT)": {204}}  # fmt: skip
        odd = unexpected(result, allowed)
        invariant = verdict(checks, odd, summarize(result, list(allowed))["errors"])
        for label, names in (("add to cart, guest (session + CSRF)", ["add (guest, session)"]),
                             ("add to cart, customer (JWT)", ["add (JWT)"]),
                             ("GET cart/, guest and customer", ["cart (guest, session)", "cart (JWT)"])):  # fmt: skip
            r = summarize(result, names)
            ratio = self.ratio(r["rps"], floor)
            self.row("cart", label, 32, r, invariant=invariant, target=f"{ratio:.0%} of PK read ({floor:.0f}/s)",
                     met=None, checks=checks, unexpected=odd, statements=probe["counts"])  # fmt: skip


def card_settle(customer_ids: list[int], since: Any, *, confirmed: list[int]) -> dict[str, Any]:
    """Wait (at most SETTLE_SECONDS) until the worker is done: no task queued, no payment of the
    run authorized and not captured, every order the customer approved at the bank paid."""
    from django.db import connection

    started = time.time()
    waiting = -1
    while time.time() - started < SETTLE_SECONDS:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT (SELECT count(*) FROM payments_payment p JOIN orders_order o ON o.id = p.order_id "
                "         WHERE o.customer_id = ANY(%(c)s) AND o.created_at >= %(s)s AND p.status = 'authorized')"
                "     + (SELECT count(*) FROM orders_order WHERE id = ANY(%(ids)s) AND status_code <> 'paid')",
                {"c": customer_ids, "s": since, "ids": confirmed},
            )
            waiting = int(cursor.fetchone()[0])
        if waiting == 0 and queued_tasks() == 0:
            time.sleep(2)  # the last webhooks (already applied ones) still in a worker's hands
            return {"settled": True, "seconds": time.time() - started, "waiting": 0}
        time.sleep(1)
    return {"settled": False, "seconds": time.time() - started, "waiting": waiting}


def webhook_lag(confirmed: dict[str, float]) -> dict[str, Any]:
    """Seconds from the customer's approval at the bank to the order being paid (the webhook to the
    shop, the capture task, the capture's answer)."""
    from orders.models import Order

    paid = dict(Order.objects.filter(pk__in=[int(i) for i in confirmed], paid_at__isnull=False)
                .values_list("pk", "paid_at"))  # fmt: skip
    lags = sorted(paid[int(i)].timestamp() - at for i, at in confirmed.items() if int(i) in paid)
    if not lags:
        return {"count": 0, "p50": None, "p99": None}
    pick = lambda p: lags[min(len(lags) - 1, int(p / 100 * len(lags)))]  # noqa: E731
    return {"count": len(lags), "p50": pick(50), "p99": pick(99), "max": lags[-1]}


def paid_count(customer_ids: list[int], since: Any) -> int:
    from orders.models import Order

    return Order.objects.filter(customer_id__in=customer_ids, created_at__gte=since, status_id="paid").count()


def run_sql(name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute((BENCH / "invariants" / name).read_text(), params)
        return [{"check": c, "ok": bool(ok), "detail": d} for c, ok, d in cursor.fetchall()]


def verdict(checks: list[dict[str, Any]], odd: dict[str, Any], errors: int) -> str:
    failed = [c for c in checks if not c["ok"]]
    if not failed and not odd and not errors:
        return f"ok: {len(checks)} checks"
    parts = [f"{c['check']} ({c['detail']})" for c in failed]
    if odd:
        parts.append(f"unexpected answers {odd}")
    if errors:
        parts.append(f"{errors} 5xx/connection errors")
    return "FAIL: " + "; ".join(parts)


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem_gib,
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgres": psql("SHOW server_version"),
        "load_average_at_start": os.getloadavg(),
        "gunicorn_workers": WORKERS,
        "warmup_s": WARMUP,
        "measure_s": MEASURE,
        "flow_warmup_s": FLOW_WARMUP,
        "flow_measure_s": FLOW_MEASURE,
    }


def table(rows: list[dict[str, Any]]) -> str:
    head = ["scenario", "measure", "clients", "req/s", "p50 ms", "p99 ms", "errors", "invariant", "target", "met"]
    lines = []
    for r in rows:
        met = {True: "yes", False: "NO", None: ""}[r.get("target_met")]
        invariant = r["invariant"] if len(r["invariant"]) < 70 else r["invariant"][:67] + "…"
        lines.append([r["scenario"], r["measure"], str(r["clients"]), _fmt(r["rps"]), _fmt(r["p50"]),
                      _fmt(r["p99"]), str(r["errors"]), invariant, r["target"], met])  # fmt: skip
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(head)]
    out = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |"]
    out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    out += ["| " + " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) + " |" for line in lines]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--scenario", help=f"Run only these (comma-separated: {', '.join(SCENARIOS)}); the floors they need run too."
    )
    args = parser.parse_args()
    scenarios = [s.strip() for s in args.scenario.split(",") if s.strip()] if args.scenario else SCENARIOS
    if unknown := set(scenarios) - set(SCENARIOS):
        parser.error(f"unknown scenario {', '.join(sorted(unknown))}; choose from {', '.join(SCENARIOS)}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.time()
    ensure_tools()
    prepare_database()

    import django

    django.setup()
    from bench import fixtures

    topped = fixtures.top_up()
    if topped:
        say(f"topped up {topped} wallets")
    info = machine()
    server = Server()
    server.start()
    try:
        run = Run(server, scenarios)
        flows = {"coupon", "wallet", "hotstock", "orderpay", "cardpay", "cart"}
        run.floors_measure(need_pgbench=bool(flows & set(scenarios)))
        for name in scenarios:
            say(f"scenario {name}")
            getattr(run, name)()
    finally:
        server.stop()
    info["load_average_at_end"] = os.getloadavg()
    info["minutes"] = round((time.time() - started) / 60, 1)
    text = table(run.rows)
    print()
    print(f"Machine: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB, PostgreSQL {info['postgres']}, "
          f"Python {info['python']}; gunicorn {WORKERS} sync workers; load average at start "
          f"{' '.join(f'{x:.1f}' for x in info['load_average_at_start'])}; {info['minutes']} min")  # fmt: skip
    print(text)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    report = {"machine": info, "scenarios": scenarios, "floors": run.floors, "rows": run.rows, "table": text}
    for path in (RESULTS / f"bench-{stamp}.json", RESULTS / "latest.json"):
        path.write_text(json.dumps(report, indent=1, default=str))
    say(f"written bench/results/bench-{stamp}.json")
    invariants_ok = all(not r["invariant"].startswith("FAIL") for r in run.rows)
    return 0 if invariants_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
