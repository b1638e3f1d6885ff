"""Production: refuses to start without its secrets, its database and Redis; HTTPS everywhere."""

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()

from .base import *  # noqa: E402,F403
from .base import REDIS_URL, REST_FRAMEWORK, WALLET_FREE_TOPUP, database_from_url  # noqa: E402

# Without Redis the base settings fall back to a per-process cache, an in-memory broker and
# tasks run in the web process: fine for `make run`, wrong for a shop with several workers.
if not REDIS_URL:
    raise ImproperlyConfigured(
        "Set the REDIS_URL environment variable (for example redis://127.0.0.1:6379/0): production "
        "needs Redis for the cache, sign-in throttling and the Celery broker."
    )

# A free top-up puts money in a wallet with no payment at all: anyone could buy anything.
if WALLET_FREE_TOPUP:
    raise ImproperlyConfigured(
        "WALLET_FREE_TOPUP is on: set WALLET_FREE_TOPUP=false in production (top-ups must be paid for)."
    )

DEBUG = False
# No defaults here: a missing secret stops the process at start-up, not at the first request.
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
# The shop's public address, for links in e-mails (a cart's recovery link): the first allowed
# host over HTTPS unless set.
SITE_URL = env("SITE_URL", default=f"https://{ALLOWED_HOSTS[0]}").rstrip("/")
DATABASES = {"default": database_from_url()}
# Gateway keys are encrypted with this key; without it they would be readable by anyone with SECRET_KEY.
PAYMENT_SECRETS_KEY = env("PAYMENT_SECRETS_KEY")
SANDBOX_WEBHOOK_SECRET = env("SANDBOX_WEBHOOK_SECRET", default="")
SIMPLE_JWT["SIGNING_KEY"] = env("JWT_SIGNING_KEY", default=SECRET_KEY)  # noqa: F405

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Secure-sessionid"
CSRF_COOKIE_NAME = "__Secure-csrftoken"
REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = ["rest_framework.renderers.JSONRenderer"]
