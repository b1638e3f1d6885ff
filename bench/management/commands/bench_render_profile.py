"""In-process cost of a fresh render: mean milliseconds per request through the Django test
client, under `bench.settings`, on the bench data (`manage.py bench_data` first).

    DJANGO_SETTINGS_MODULE=bench.settings .venv/bin/python manage.py bench_render_profile
    ... bench_render_profile --only "product detail, signed in" --profile   # pyinstrument tree

The same pages as `make bench SCENARIO=render`, rotating over products nobody asked for in this
process (so the product's shared parts are computed, as on the benchmark's rotating rows), but
one request at a time and without HTTP: a figure that a busy shared machine disturbs far less
than the req/s of wrk. Every run starts from an empty public cache (the bench Redis db is
flushed), so runs compare.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache, caches
from django.core.management.base import BaseCommand, CommandParser
from django.test import Client


class Command(BaseCommand):
    help = "Mean ms per fresh render of the render scenario's pages, in process (bench settings)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("-n", type=int, default=200, help="requests per page kind (default 200)")
        parser.add_argument("--only", default="", help="the page kinds whose label contains this")
        parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile per kind")
        parser.add_argument(
            "--cprofile", type=int, default=0, metavar="N", help="print cProfile's N costliest functions per kind"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from accounts.models import User
        from accounts.services.tokens import user_api_sign_in
        from carts.models import CartItem
        from carts.services import cart_add_item
        from catalog.models import Category, Product, ProductVariant
        from common.warmup import warm_up

        n: int = options["n"]
        warm_up()  # as a web worker starts: templates compiled, then frozen out of the GC's walks
        cache.clear()  # the bench Redis db only (bench.settings); every run starts cold
        caches["public_local"].clear()
        products = list(Product.objects.filter(status="active").values_list("id", flat=True))
        random.Random(12).shuffle(products)
        categories = list(Category.objects.filter(is_active=True).values_list("slug", flat=True))
        words = ["lamp", "chair", "table", "mug", "shirt", "scarf", "kettle", "bowl", "pen", "notebook", "rug", "vase"]
        user = User.objects.filter(email__startswith="bench-customer-").order_by("pk").first()
        if user is None:
            self.stderr.write("No bench data: run `make bench` (or manage.py bench_data) first.")
            raise SystemExit(1)
        if not CartItem.objects.filter(cart__customer=user, cart__status="active").exists():
            for variant in ProductVariant.objects.filter(product_id__in=products[:3], status="active")[:3]:
                cart_add_item(user=user, variant_id=variant.pk, quantity=1)
        # The bench server's own host (ALLOWED_HOSTS), as wrk sends it.
        anonymous, signed_in, api = (Client(HTTP_HOST="127.0.0.1") for _ in range(3))
        signed_in.force_login(user)
        signed_in.get("/")  # the CSRF cookie, as a browser holds it after its first page
        # As the app signs in: its token names the sign-in, which every request checks.
        pair = user_api_sign_in(user=user, user_agent="bench", ip_address="127.0.0.1")
        api.defaults["HTTP_AUTHORIZATION"] = f"Bearer {pair.access}"
        fresh = iter(range(10**9))
        # Each kind takes its own slice of products, so no kind profits from another's shared parts.
        slices = iter(range(0, len(products), n))

        def rotating(prefix: str, client: Client, unique: bool = False) -> Callable[[int], Any]:
            start = next(slices)
            mine = products[start : start + n]
            suffix = (lambda: f"?_p={next(fresh)}") if unique else (lambda: "")
            return lambda i: client.get(f"{prefix}{mine[i % len(mine)]}/{suffix()}")

        kinds: list[tuple[str, Callable[[int], Any]]] = [
            ("product detail, anonymous, every product", rotating("/products/", anonymous, unique=True)),
            ("product detail, signed in, every product", rotating("/products/", signed_in)),
            ("product list, anonymous, pages 1-50", lambda i: anonymous.get(f"/products/?page={i % 50 + 1}&_p={i}")),
            ("product list, signed in, pages 1-50", lambda i: signed_in.get(f"/products/?page={i % 50 + 1}")),
            ("search, signed in", lambda i: signed_in.get(f"/products/?q={words[i % len(words)]}")),
            ("category, signed in", lambda i: signed_in.get(f"/categories/{categories[i % len(categories)]}/")),
            ("product detail API, JWT, every product", rotating("/api/v1/products/", api)),
            ("product list API, JWT, pages 1-50", lambda i: api.get(f"/api/v1/products/?page={i % 50 + 1}")),
            ("cart page, signed in", lambda i: signed_in.get("/cart/")),
            ("order history, signed in", lambda i: signed_in.get("/orders/")),
            ("framework floor (bare view)", lambda i: anonymous.get("/_bench/floor")),
        ]
        self.stdout.write(
            f"{'page':<45} {'mean ms':>8} {'median':>8} {'CPU ms':>7}  (n={n}; CPU: this process, not PostgreSQL)"
        )
        for label, get in kinds:
            if options["only"] and options["only"] not in label:
                continue
            for i in range(3):  # imports, templates and the worker's first connection
                status = get(-1 - i).status_code
                assert status == 200, (label, status)
            profiler = None
            if options["profile"]:
                from pyinstrument import Profiler

                profiler = Profiler(interval=0.0002)
                profiler.start()
            cprofiler = None
            if options["cprofile"]:
                import cProfile

                cprofiler = cProfile.Profile()
                cprofiler.enable()
            times = []
            cpu_started = time.process_time()
            for i in range(n):
                started = time.perf_counter()
                response = get(i)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (label, response.status_code)
            cpu = (time.process_time() - cpu_started) * 1000 / n
            if profiler is not None:
                profiler.stop()
            if cprofiler is not None:
                cprofiler.disable()
            times.sort()
            self.stdout.write(f"{label:<45} {sum(times) / n:8.2f} {times[n // 2]:8.2f} {cpu:7.2f}")
            if profiler is not None:
                self.stdout.write(profiler.output_text(unicode=True, color=False, show_all=False))
            if cprofiler is not None:
                import pstats

                order = os.environ.get("CPROFILE_SORT", "cumulative")  # tottime: each function's own time
                if os.environ.get("CPROFILE_OUT"):  # for pstats/snakeviz: one file per kind
                    name = "-".join(word.strip(",") for word in label.split())
                    cprofiler.dump_stats(f"{os.environ['CPROFILE_OUT']}-{name}.prof")
                pstats.Stats(cprofiler, stream=sys.stdout).sort_stats(order).print_stats(options["cprofile"])
