"""Benchmark settings (`make bench`: `DJANGO_SETTINGS_MODULE=bench.settings`): production's settings,
served over plain HTTP on 127.0.0.1, plus the `bench` app and its URLs.

The database and Redis are the benchmark's own (`shop_bench`, Redis db 5), whatever the caller's
environment says, so a benchmark can never write into a development or test database.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-not-for-any-real-shop-0123456789")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("PAYMENT_SECRETS_KEY", "YmVuY2gtb25seS1wYXltZW50LXNlY3JldHMta2V5LTA=")
os.environ.setdefault("WALLET_FREE_TOPUP", "false")
# The sandbox processor signs its webhooks with this (production's settings default to none).
os.environ.setdefault("SANDBOX_WEBHOOK_SECRET", "whsec_bench_only_not_for_any_real_shop")
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shop_bench")
os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
os.environ["CELERY_BROKER_URL"] = os.environ["REDIS_URL"]
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
# The load generators reuse minted tokens; sign-in throttles would only measure the throttle.
os.environ.setdefault("SIGNIN_RATE", "100000/min")
os.environ.setdefault("REGISTER_RATE", "100000/min")
os.environ.setdefault("SIGNIN_FAILURE_LIMIT", "100000")
os.environ.setdefault("LOG_LEVEL", "WARNING")

from config.settings.production import *  # noqa: F403
from config.settings.production import DATABASES, INSTALLED_APPS, MIDDLEWARE

# The wallet scenario measures seed 000's contract (free top-ups through `wallet/charge/`): the
# ledger under a rush, not a card processor. Production refuses this setting; the bench turns it
# back on after production's checks have passed.
WALLET_FREE_TOPUP = True

# The benchmark's own app (its views, the query counter, `manage.py bench_data`): only here.
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]

# Persistent connections: one per gunicorn worker, reused for the whole run.
DATABASES["default"]["CONN_MAX_AGE"] = None
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Plain HTTP on the loopback: no redirect to HTTPS, no HSTS, cookies without the Secure flag.
SECURE_PROXY_SSL_HEADER = None
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SECURE_HSTS_PRELOAD = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SESSION_COOKIE_NAME = "sessionid"
CSRF_COOKIE_NAME = "csrftoken"

# The shop's URLs plus /_bench/floor and /_bench/pk/<id>: the limits every scenario is measured against.
ROOT_URLCONF = "bench.urls"
# Counts the queries of a request that asks for it (header X-Bench-Queries), answered in the
# same header; requests without it pay nothing.
MIDDLEWARE = ["bench.views.QueryCountMiddleware", *MIDDLEWARE]
