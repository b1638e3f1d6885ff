"""Root fixtures for the whole suite, and the hypothesis profiles."""

import os

import pytest
from django.core.cache import cache
from hypothesis import settings as hypothesis_settings

# A run's verdict is the code's alone: every @given test draws the same examples on every run
# (derandomize: the seed comes from the test itself) and no example database carries what one
# run found into the next. `make fuzz` loads "explore" instead: a new seed each run, or SEED=.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile("explore", derandomize=False, database=None, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache (throttles, lockouts and cached reads) and Redis trusted.

    Only this run's keys go (the test settings give each run its own key prefix), so test runs
    sharing one Redis database do not wipe each other's counters.
    """
    _clear_own_keys()
    yield
    _clear_own_keys()


def _clear_own_keys() -> None:
    from common import redis_breaker

    redis_breaker.reset()  # and no test inherits an open Redis breaker from the one before
    if hasattr(cache, "delete_pattern"):  # django-redis: SCAN + DEL under this run's prefix
        cache.delete_pattern("*")
    else:
        cache.clear()


DB_FIXTURES = ("db", "transactional_db", "live_server", "admin_client", "admin_user", "django_user_model")


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Put back the data-migration rows (order statuses, the default warehouse).

    A transactional test flushes every table when it ends, so the tests after it would find
    these lookup rows gone; this makes every database test start with them.
    """
    marker = request.node.get_closest_marker("django_db")
    if marker is None and not any(name in request.fixturenames for name in DB_FIXTURES):
        return
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    from inventory.reference_data import ensure_default_warehouse
    from orders.reference_data import ensure_order_statuses

    ensure_default_warehouse()
    ensure_order_statuses()
