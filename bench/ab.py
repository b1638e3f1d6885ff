"""Side by side: the render scenario's product rows served by two checkouts of the shop at once.

    git worktree add /tmp/before <rev>            # the code to compare against
    .venv/bin/python bench/ab.py --base /tmp/before [--rounds 6] [--seconds 5]

On a shared machine `make bench`'s figures move by a fifth from run to run, more than most
changes. Here both checkouts serve at once (gunicorn, 5 sync workers each, `bench.settings` and
the bench data of `make bench`), and each round measures every row on both, in alternating order,
with wrk c=8 and the bare view right after it, Redis flushed before each row as `make bench`
does; one round of warm-up is not counted. A checkout without its own `.venv` runs on this one's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, type=Path, help="the checkout to compare against")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()

    trees = {"before": args.base.resolve(), "after": ROOT}
    servers = {name: _serve(tree, port) for (name, tree), port in zip(trees.items(), (8741, 8742), strict=True)}
    try:
        rows = _rows()
        results: dict[tuple[str, str], list[tuple[float, float, float, int]]] = {}
        for round_ in range(args.rounds + 1):
            headers = _headers()  # a fresh token each round: an access token lasts 15 minutes
            for label, paths, header, unique in rows:
                order = list(trees) if round_ % 2 == 0 else list(reversed(trees))
                for name in order:
                    _flush(os.environ["REDIS_URL"])  # the bench's own db (bench.settings)
                    page = _wrk(servers[name][1], paths, headers[header] if header else None, unique, args.seconds)
                    floor = _wrk(servers[name][1], ["/_bench/floor"], None, False, args.seconds)
                    if round_ == 0:
                        continue  # warm-up
                    results.setdefault((label, name), []).append((page[0], floor[0], page[1], page[2]))
                    share = page[0] / floor[0]
                    print(f"round {round_} {label:<26} {name:<6} {page[0]:7.0f} req/s  floor {floor[0]:6.0f}  "
                          f"{share:6.1%}  p99 {page[1]:6.1f} ms  errors {page[2]}", flush=True)  # fmt: skip
        print(f"mean of {args.rounds} rounds (req/s, share of the floor beside it, worst p99):")
        for label, *_ in rows:
            for name in trees:
                measured = results[(label, name)]
                print(f"  {label:<26} {name:<6} {statistics.mean(m[0] for m in measured):7.0f}  "
                      f"{statistics.mean(m[0] / m[1] for m in measured):6.1%}  {max(m[2] for m in measured):6.1f} ms  "
                      f"errors {sum(m[3] for m in measured)}")  # fmt: skip
    finally:
        for process, _port in servers.values():
            process.terminate()
        for process, _port in servers.values():
            process.wait(timeout=30)


def _serve(tree: Path, port: int) -> tuple[subprocess.Popen[bytes], int]:
    python = tree / ".venv" / "bin" / "python"
    if not python.exists():
        python = ROOT / ".venv" / "bin" / "python"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "PYTHONPATH": str(tree)}
    subprocess.run([str(python), "manage.py", "collectstatic", "--no-input", "-v0"], cwd=tree, env=env, check=True)
    process = subprocess.Popen(
        [str(python), "-m", "gunicorn", "config.wsgi", "--workers", "5", "--bind", f"{HOST}:{port}",
         "--backlog", "4096", "--timeout", "120", "--log-level", "warning"],
        cwd=tree, env=env,
    )  # fmt: skip
    for _ in range(120):
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return process, port
        except OSError:
            time.sleep(0.5)
    process.terminate()
    raise SystemExit(f"gunicorn in {tree} did not start")


def _rows() -> list[tuple[str, list[str], str | None, bool]]:
    from catalog.models import Product

    products = list(Product.objects.filter(status="active").order_by("?").values_list("id", flat=True))
    if not products:
        raise SystemExit("No bench data: run `make bench` (or manage.py bench_data) first.")
    pages = [f"/products/{pk}/" for pk in products]
    return [
        ("product detail, anonymous", pages, None, True),
        ("product detail, signed in", pages, "cookie", False),
        ("product detail API, JWT", [f"/api/v1/products/{pk}/" for pk in products], "token", False),
    ]


def _headers() -> dict[str, str]:
    """A bench customer's session cookie and bearer header, as `make bench` makes them."""
    from django.conf import settings
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client

    from accounts.models import User
    from accounts.services.tokens import user_api_sign_in

    user = User.objects.filter(email__startswith="bench-customer-").order_by("pk").first()
    if user is None:
        raise SystemExit("No bench customers: run `make bench` (or manage.py bench_data) first.")
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    pair = user_api_sign_in(user=user, user_agent="bench-ab", ip_address=HOST)
    return {
        "cookie": f"Cookie: {settings.SESSION_COOKIE_NAME}={session}; "
        f"{settings.CSRF_COOKIE_NAME}={_get_new_csrf_string()}",
        "token": f"Authorization: Bearer {pair.access}",
    }


def _flush(redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()


def _wrk(port: int, paths: list[str], header: str | None, unique: bool, seconds: int) -> tuple[float, float, int]:
    """`make bench`'s own wrk run (bench/run.py) against the server on `port`."""
    from bench import run

    measured = run.wrk(
        SimpleNamespace(url=f"http://{HOST}:{port}"),  # type: ignore[arg-type]  # wrk() reads the url only
        paths, connections=8, seconds=seconds, unique=unique, header=header,
    )  # fmt: skip
    return measured["rps"], measured["p99"], measured["errors"]


if __name__ == "__main__":
    main()
