"""Reads compiled to SQL once per worker and run with new ids on every request.

On a hot page the ORM spends more CPU *building* a simple read than PostgreSQL spends running
it: the product page's variants (one query with three annotations) cost 3.6 ms of CPU in the
ORM and 1 ms in the database; compiled once and run with new ids, 0.85 ms in all
(`manage.py bench_render_profile`, README "Render speed"). A `PreparedQuery` keeps the ORM as
the one place a read is written: the queryset is built by the same selector code, compiled the
first time it is run, and later runs swap the ids into the compiled statement's parameters.

    _VARIANTS_OF = PreparedQuery(lambda product_id: variants_for_sale().filter(product_id=product_id))
    variants = _VARIANTS_OF.run(product_id=42)   # model instances, annotations as attributes

What may be prepared (checked where it can be, at the first run):

- every argument is an integer id compared by equality (`field=value`): each must appear in the
  compiled parameters, and a run takes ints only;
- nothing in the queryset may change between requests: no clock (`timezone.now()`), no setting
  read at build time, no per-visitor value except the arguments.

`select_related` rows come with the statement, as from the ORM: a run hands the compiled
statement to Django's own model iterator (the compiler that built it, with the new parameters),
so joined rows, annotations and deferred fields are populated exactly as the queryset would
populate them. `prefetch_related` lookups run after it, through the ORM as usual (not prepared).
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet
from django.db.models.sql.compiler import SQLCompiler

M = TypeVar("M", bound=Model)

# Stand-ins for the arguments while compiling: ints no real id takes (they fit PostgreSQL's
# integer, so an int column's lookup compiles as it would for a real id).
_SENTINEL_BASE = -2_000_000_000


def _prepares(connection: BaseDatabaseWrapper) -> bool:
    """PostgreSQL with prepared statements on (settings: DATABASES OPTIONS prepare_threshold)."""
    options = connection.settings_dict["OPTIONS"]
    return connection.vendor == "postgresql" and options.get("prepare_threshold") is not None


class _Preparing:
    """The connection, for Django's model iterator, with cursors that bind on the server, so psycopg
    runs the statement as a prepared one: PostgreSQL parses and plans it once per connection (after
    five runs, a generic plan), not on every run. Everything else is the connection's own. Its
    cursors are wrapped as Django wraps its own (query logging, error translation, execute
    wrappers), and the logged SQL is the statement with its values, as for every other query."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self._connection = connection
        self.ops = _OpsShowingValues(connection.ops)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    def cursor(self) -> Any:
        # As BaseDatabaseWrapper._cursor() and the PostgreSQL backend's create_cursor(), with the
        # backend's server-binding cursor class instead of the client-binding one.
        from django.db.backends.postgresql.base import TIMESTAMPTZ_OID, ServerBindingCursor
        from django.db.backends.postgresql.psycopg_any import register_tzloader
        from psycopg.pq import Format

        connection = self._connection
        connection.close_if_health_check_failed()
        connection.ensure_connection()
        with connection.wrap_database_errors:
            cursor = ServerBindingCursor(connection.connection)  # type: ignore[call-arg]  # psycopg's Cursor(connection); the stubs know psycopg2's
            tzloader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
            if connection.timezone != tzloader.timezone:
                register_tzloader(connection.timezone, cursor)
            return type(connection)._prepare_cursor(self, cursor)  # type: ignore[attr-defined]  # wrapped for this object (its ops)

    def make_cursor(self, cursor: Any) -> Any:
        return type(self._connection).make_cursor(self, cursor)  # type: ignore[arg-type]  # duck-typed connection

    def make_debug_cursor(self, cursor: Any) -> Any:
        return type(self._connection).make_debug_cursor(self, cursor)  # type: ignore[arg-type]  # duck-typed connection


class _OpsShowingValues:
    """The connection's operations; a logged statement is shown with its values (a prepared one
    has no client-side text to show)."""

    def __init__(self, ops: Any) -> None:
        self._ops = ops

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ops, name)

    def last_executed_query(self, cursor: Any, sql: str, params: Any) -> str | None:
        return self._ops.compose_sql(sql, params)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    # For each parameter position holding an argument: the argument's name.
    slots: dict[int, str]
    # The queryset it was compiled from and the compiler that compiled it: a run reuses the
    # compiler's record of the columns (which model, which related model, which annotation).
    queryset: QuerySet[Any]
    compiler: SQLCompiler
    # The value converters of the statement's columns (a JSON column's decoding and the like), by
    # the columns' identity: Django's iterator works them out again on every run, a tenth of a
    # product page's read. They are the fields' own methods, whatever the connection.
    converters: dict[tuple[int, ...], Any]


class PreparedQuery(Generic[M]):
    """A read built with the ORM, compiled on its first run, then run as SQL with new ids."""

    def __init__(self, build: Callable[..., QuerySet[M]]) -> None:
        self._build = build
        self._compiled: _Compiled | None = None
        self._lock = threading.Lock()

    def _compile(self, names: list[str]) -> _Compiled:
        sentinels = {name: _SENTINEL_BASE - index for index, name in enumerate(sorted(names))}
        queryset = self._build(**sentinels)
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        slots: dict[int, str] = {}
        by_value = {value: name for name, value in sentinels.items()}
        for position, param in enumerate(params):
            if isinstance(param, int) and not isinstance(param, bool) and int(param) in by_value:
                slots[position] = by_value[int(param)]
        missing = set(names) - set(slots.values())
        if missing:
            raise ImproperlyConfigured(f"A prepared query must use {sorted(missing)} as a parameter of its statement.")
        sql, params, slots = _constants_written_in(sql, params, slots, connections[queryset.db])
        return _Compiled(
            sql=sql, params=tuple(params), slots=slots, queryset=queryset, compiler=compiler, converters={}
        )

    def sql_for(self, **ids: int) -> tuple[str, list[Any]]:
        """The statement and its parameters for these ids (compiling it on the first call)."""
        for name, value in ids.items():
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} must be an int, not {type(value).__name__}")
        compiled = self._compiled
        if compiled is None:
            with self._lock:
                compiled = self._compiled or self._compile(list(ids))
                self._compiled = compiled
        if set(ids) != set(compiled.slots.values()):
            raise TypeError(f"expected the arguments {sorted(set(compiled.slots.values()))}")
        params = list(compiled.params)
        for position, name in compiled.slots.items():
            # Keep the compiled parameter's type (psycopg's Int4 and the like), with the new value.
            params[position] = type(params[position])(ids[name])
        return compiled.sql, params

    def run(self, **ids: int) -> list[M]:
        """The rows for these ids, as the queryset would answer them (model instances, their
        `select_related` rows, annotations as attributes, then any `prefetch_related`)."""
        sql, params = self.sql_for(**ids)
        compiled = self._compiled
        assert compiled is not None
        compiler = copy.copy(compiled.compiler)
        connection = connections[compiled.queryset.db]  # this thread's, not the compiling one's
        if _prepares(connection):
            compiler.connection = _Preparing(connection)  # type: ignore[assignment]  # the connection, cursors aside
        else:
            compiler.connection = connection
        statement = (sql, tuple(params))
        compiler.as_sql = lambda *args, **kwargs: statement  # type: ignore[method-assign]  # the compiled statement, these ids
        compiler.get_converters = _converters_kept(compiled.converters, compiler.get_converters)  # type: ignore[method-assign,assignment]  # kept per compiled read
        queryset = compiled.queryset._chain()  # type: ignore[attr-defined]  # a fresh clone with no results
        queryset.query.get_compiler = lambda *args, **kwargs: compiler
        return list(queryset)


_PLACEHOLDER = re.compile(r"%%|%s")


def _constants_written_in(
    sql: str, params: list[Any], slots: dict[int, str], connection: BaseDatabaseWrapper
) -> tuple[str, list[Any], dict[int, str]]:
    """The statement with every parameter that is not an argument written into it as a literal,
    quoted as Django quotes the values of every other query (psycopg, binding on the client):
    its remaining parameters are the arguments alone. The ORM makes a parameter of every constant
    (the product page's read had 30: the JSON keys of its rows, the statuses, the stock figures'
    defaults), and psycopg adapted each one again on every run: a twelfth of the read's CPU."""
    if connection.vendor != "postgresql" or len(slots) == len(params):
        return sql, params, slots  # (SQLite, on a development machine: binds as the ORM does)
    pieces: list[str] = []
    kept: list[Any] = []
    kept_slots: dict[int, str] = {}
    position = 0
    end = 0
    for placeholder in _PLACEHOLDER.finditer(sql):
        if placeholder.group() == "%%":
            continue
        pieces.append(sql[end : placeholder.start()])
        end = placeholder.end()
        if position in slots:
            kept_slots[len(kept)] = slots[position]
            kept.append(params[position])
            pieces.append("%s")
        else:  # a literal's own "%" doubled: the statement still takes its arguments as %s
            pieces.append(connection.ops.compose_sql("%s", [params[position]]).replace("%", "%%"))  # type: ignore[attr-defined]  # the PostgreSQL backend's
        position += 1
    if position != len(params):
        raise ImproperlyConfigured(f"{position} placeholders for {len(params)} parameters in {sql!r}")
    pieces.append(sql[end:])
    return "".join(pieces), kept, kept_slots


def _converters_kept(kept: dict[tuple[int, ...], Any], work_out: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The compiler's `get_converters`, worked out once per set of columns. The columns are the
    compiled compiler's own objects (kept alive by it), so their ids name them for good."""

    def get_converters(expressions: Any) -> Any:
        key = tuple(map(id, expressions))
        found = kept.get(key)
        if found is None:
            found = kept[key] = work_out(expressions)
        return found

    return get_converters
