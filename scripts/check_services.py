"""Stop `make test` at once, in one sentence, when PostgreSQL or Redis does not answer.

The suite never falls back to SQLite or a local cache: it is about the real services.
"""

import os
import sys
from urllib.parse import urlsplit

import psycopg
import redis


def main() -> int:
    database_url = os.environ["DATABASE_URL"]
    redis_url = os.environ["REDIS_URL"]
    parts = urlsplit(database_url)
    try:
        # Connect to the maintenance database: the test database does not exist yet.
        dsn = f"{parts.scheme}://{parts.netloc}/postgres"
        psycopg.connect(dsn.replace("postgres://", "postgresql://", 1), connect_timeout=3).close()
    except psycopg.Error as exc:
        print(
            f"PostgreSQL does not answer at {parts.hostname}:{parts.port or 5432} ({exc.__class__.__name__}); "
            "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
            file=sys.stderr,
        )
        return 1
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=3, socket_timeout=3).ping()
    except redis.RedisError as exc:
        print(
            f"Redis does not answer at {redis_url} ({exc.__class__.__name__}); start it with: "
            'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
