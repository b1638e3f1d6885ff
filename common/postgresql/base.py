"""Django's PostgreSQL backend (ENGINE "common.postgresql"), whose per-request health check asks
the connection's socket instead of the server.

With CONN_HEALTH_CHECKS, Django checks a kept connection before a request's first query, and
its PostgreSQL backend does it with `SELECT 1`: a round trip on every page that reads the
database, the second of a product page's two statements (`make bench`: the server's own CPU
for it, the worker's for psycopg, and a wait). What the check is for, a connection the server
has closed (restarted, `pg_terminate_backend`, an idle timeout), shows on the socket: the
server sends its FATAL notice and closes, so the socket has something to read. A kept
connection with nothing to read is one the server has not closed; one with something to read,
or after an error in the last request, gets Django's own `SELECT 1`.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if self.errors_occurred or connection.info.transaction_status != pq.TransactionStatus.IDLE:
            return super().is_usable()  # after an error, or mid-transaction: ask the server
        if _has_unread(connection.pgconn.socket):
            return super().is_usable()  # a notice or the end of the stream: let the server say
        return True


def _has_unread(fd: int) -> bool:
    """Something to read on this socket now (poll, not select: no limit on the descriptor)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))
