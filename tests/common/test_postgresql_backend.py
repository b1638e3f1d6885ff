"""The PostgreSQL backend's health check (common/postgresql): a kept connection is checked by its
socket, with no round trip; one the server has closed is found out and replaced; after an error
the server is asked, as Django does."""

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from django.db import connections

pytestmark = pytest.mark.skipif(
    connections["default"].vendor != "postgresql", reason="the health check of the PostgreSQL backend"
)


@pytest.fixture
def kept(django_db_setup, django_db_blocker) -> Iterator:
    """A connection of its own to the test database, in autocommit as between requests (the test
    transaction of the `db` fixture would make every check ask the server)."""
    with django_db_blocker.unblock():
        wrapper = connections.create_connection("default")
        wrapper.ensure_connection()
        yield wrapper
        wrapper.close()


@pytest.fixture
def observer(kept) -> Iterator[psycopg.Connection]:
    """A second session that watches the kept one from the server's side."""
    params = kept.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    with psycopg.connect(**params, autocommit=True) as other:
        yield other


def _last_statement(observer: psycopg.Connection, kept) -> str:
    row = observer.execute(
        "SELECT query FROM pg_stat_activity WHERE pid = %s", [kept.connection.info.backend_pid]
    ).fetchone()
    assert row is not None
    return row[0]


def _run(kept, sql: str) -> None:
    with kept.cursor() as cursor:
        cursor.execute(sql)


def test_the_backend_is_the_shops():
    assert type(connections["default"]).__module__ == "common.postgresql.base"


def test_a_healthy_kept_connection_is_checked_without_asking_the_server(kept, observer):
    marker = f"SELECT 'last statement {uuid.uuid4().hex}'"
    _run(kept, marker)
    kept.health_check_done = False  # a new request, as close_old_connections leaves it

    kept.close_if_health_check_failed()

    assert kept.connection is not None and kept.health_check_done
    assert _last_statement(observer, kept) == marker  # no SELECT 1 went to the server


def test_a_connection_the_server_closed_is_replaced_before_the_requests_first_query(kept, observer):
    _run(kept, "SELECT 1")
    old_pid = kept.connection.info.backend_pid
    observer.execute("SELECT pg_terminate_backend(%s, 5000)", [old_pid])
    kept.health_check_done = False

    assert kept.is_usable() is False
    kept.close_if_health_check_failed()
    with kept.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        new_pid = cursor.fetchone()[0]

    assert new_pid != old_pid


def test_after_an_error_the_server_is_asked(kept, observer):
    marker = f"SELECT 'before the error {uuid.uuid4().hex}'"
    _run(kept, marker)
    kept.errors_occurred = True

    assert kept.is_usable() is True
    assert _last_statement(observer, kept) == "SELECT 1"
