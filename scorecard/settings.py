"""Settings for the servers and workers the scorecard starts (tests/security and scorecard/):
`DJANGO_SETTINGS_MODULE=scorecard.settings`.

The test settings, plus what several processes must agree on: one cache key prefix (the test
settings give each process its own) and where e-mails go; and, for the fault-injection rows, a
broker visibility timeout short enough that the task of a worker killed outright comes back
within 30 seconds (in production it is an hour: longer than the longest task).
"""

import os

os.environ.setdefault("CELERY_VISIBILITY_TIMEOUT", "10")

from config.settings.test import *  # noqa: F403
from config.settings.test import CACHES, CELERY_BROKER_TRANSPORT_OPTIONS, DATABASES

CACHES["default"]["KEY_PREFIX"] = os.environ.get("SCORECARD_CACHE_PREFIX", "scorecard")
# Persistent connections with health checks, as in production (the test settings use none).
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("SCORECARD_CONN_MAX_AGE", "0"))
# kombu sweeps unacknowledged messages every interval x throttle seconds (100 s by default).
CELERY_BROKER_TRANSPORT_OPTIONS.update(unacked_restore_interval=2, unacked_restore_throttle=1)
if os.environ.get("SCORECARD_EMAIL_DIR"):
    # One file per message, so the fault rows can count what was delivered.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = os.environ["SCORECARD_EMAIL_DIR"]
