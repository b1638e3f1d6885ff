"""Test settings: PostgreSQL and Redis are required (see scripts/check_services.py)."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shop")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/1")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")

from .base import *  # noqa: F403
from .base import CACHES, DATABASES

DEBUG = False
# Most tests write and read inside one rolled-back transaction, where the after-commit bumps
# that keep cached pages fresh never run; the cache's own tests (and the browser journeys,
# which commit for real) switch it on.
PUBLIC_CACHE_ENABLED = False
# Argon2 is deliberately slow; the suite signs in thousands of times.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Each test run gets its own key space so parallel runs and leftovers never collide.
CACHES["default"]["KEY_PREFIX"] = f"test-{os.getpid()}"
DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get("TEST_DATABASE_NAME", "test_shop")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
