"""Processes the scorecard starts and stops itself: gunicorn, a Celery worker, and disposable
PostgreSQL and Redis instances for fault injection.

Everything here is started by us, in its own process group, and stopped by its own pid; the
shared PostgreSQL and Redis other test runs use are never touched.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PG_BIN = Path(os.environ.get("SCORECARD_PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url_for(base_url: str, name: str) -> str:
    """`base_url` (postgres://user@host:port/db) pointing at database `name` instead."""
    parts = urlsplit(base_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _stop_group(proc: subprocess.Popen, timeout: float = 10) -> None:
    """Stop a process we started (and the children in its own session): TERM, then KILL."""
    if proc.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def children_of(pid: int) -> list[int]:
    """Direct children of a process we started (from /proc, no name matching)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with suppress(OSError, IndexError):
            stat = (entry / "stat").read_text()
            # Field 4 (after the parenthesised command name) is the parent pid.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


class Gunicorn:
    """`gunicorn config.wsgi` on a free port with the given settings and environment."""

    def __init__(
        self,
        *,
        env: dict[str, str],
        settings_module: str = "scorecard.settings",
        workers: int = 2,
        threads: int = 8,
        timeout: int = 30,
        log_path: Path | None = None,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        self.port = free_port()
        self.tls = tls  # (certificate, key): serve HTTPS, as behind a TLS-terminating proxy
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env, "DJANGO_SETTINGS_MODULE": settings_module}
        self.workers = workers
        self.threads = threads
        self.timeout = timeout
        self.log_path = log_path or Path(tempfile.mkdtemp(prefix="scorecard-gunicorn-")) / "gunicorn.log"
        self.proc: subprocess.Popen | None = None

    def start(self, wait: float = 60) -> Gunicorn:
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--threads",
                str(self.threads),
                "--worker-class",
                "gthread",
                "--timeout",
                str(self.timeout),
                "--graceful-timeout",
                "5",
                "--backlog",
                "2048",
                *(["--certfile", str(self.tls[0]), "--keyfile", str(self.tls[1])] if self.tls else []),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start-up; see {self.log_path}:\n{self.log_tail()}")
            with suppress(requests.RequestException):
                # verify=False: the certificate is our own throw-away self-signed one for 127.0.0.1.
                answer = requests.get(f"{self.url}/healthz", timeout=2, verify=False)  # nosec B501 - see above
                if answer.status_code == 200:
                    return self
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {wait}s; see {self.log_path}:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        with suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        if self.proc is not None:
            _stop_group(self.proc)
            self._log.close()

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A throw-away certificate for 127.0.0.1 (openssl), so production settings run over HTTPS."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            shutil.which("openssl") or "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


class CeleryWorker:
    """`celery -A config worker` (prefork) with the given environment; optionally with beat."""

    def __init__(
        self,
        *,
        env: dict[str, str],
        settings_module: str = "scorecard.settings",
        concurrency: int = 1,
        beat: bool = False,
        log_path: Path | None = None,
        name: str = "scorecard",
    ) -> None:
        self.env = {**os.environ, **env, "DJANGO_SETTINGS_MODULE": settings_module}
        self.concurrency = concurrency
        self.beat = beat
        self.name = name
        self.log_path = log_path or Path(tempfile.mkdtemp(prefix="scorecard-celery-")) / "worker.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> CeleryWorker:
        self._log = self.log_path.open("ab")
        args = [
            str(VENV_BIN / "celery"),
            "-A",
            "config",
            "worker",
            "--loglevel=INFO",
            "--concurrency",
            str(self.concurrency),
            "--pool",
            "prefork",
            "--hostname",
            f"{self.name}-{os.getpid()}-{time.monotonic_ns()}@%h",
            "--without-gossip",
            "--without-mingle",
        ]
        if self.beat:
            args += ["--beat", "--schedule", str(self.log_path.parent / "beat-schedule")]
        self.proc = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        return self

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"the worker exited at start-up:\n{self.log_tail()}")
            if " ready." in self.log_path.read_text(errors="replace"):
                return
            time.sleep(0.2)
        raise RuntimeError(f"the worker was not ready within {timeout}s:\n{self.log_tail()}")

    def pool_pids(self) -> list[int]:
        assert self.proc is not None
        return children_of(self.proc.pid)

    def kill_all(self) -> None:
        """kill -9 the whole worker: the main process and its pool, nothing gets to clean up."""
        if self.proc is not None and self.proc.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def log_tail(self, lines: int = 40) -> str:
        with suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        if self.proc is not None:
            _stop_group(self.proc, timeout=15)
            self._log.close()

    def __enter__(self) -> CeleryWorker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _as_postgres(args: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


class DisposablePostgres:
    """A throw-away PostgreSQL 15 cluster in a temporary directory, on its own port."""

    def __init__(self, port: int | None = None) -> None:
        # A free port, not a fixed one: another run on this machine (a second checkout, a CI job)
        # may hold any port we could name.
        self.port = port or int(os.environ.get("SCORECARD_PG_PORT") or free_port())
        self.dir = Path(tempfile.mkdtemp(prefix="scorecard-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/scorecard"

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), *args]),
            check=False,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and done.returncode != 0:
            raise RuntimeError(
                f"pg_ctl {args[-1]} failed (exit {done.returncode}) on port {self.port}: "
                f"{(done.stderr or done.stdout).strip()}\n{self.log_tail()}"
            )
        return done

    def log_tail(self, lines: int = 20) -> str:
        with suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def start(self) -> DisposablePostgres:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        subprocess.run(
            _as_postgres(
                [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        options = " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.dir}",
                "-c max_connections=200",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                # A backend whose client was killed -9 notices within a second, even while waiting.
                "-c client_connection_check_interval=1000",
            ]
        )
        self._options = options
        self._pg_ctl("-o", options, "-w", "start")
        subprocess.run(
            [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "scorecard"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return self

    def stop_server(self, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "-w", "stop", check=False)

    def start_server(self) -> None:
        self._pg_ctl("-o", self._options, "-w", "start")

    def restart(self, mode: str = "fast") -> None:
        self._pg_ctl("-o", self._options, "-m", mode, "-w", "restart")

    def stop(self) -> None:
        self.stop_server("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> DisposablePostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class DisposableRedis:
    """A throw-away redis-server on its own port, run in the foreground so we hold its pid."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or int(os.environ.get("SCORECARD_REDIS_PORT") or free_port())
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None
        self.dir = Path(tempfile.mkdtemp(prefix="scorecard-redis-"))

    def start(self) -> DisposableRedis:
        self.proc = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=(self.dir / "redis.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        import redis

        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                # Exited at once, most often because the port was taken: never ping someone else's.
                log = (self.dir / "redis.log").read_text(errors="replace").strip()
                raise RuntimeError(f"the disposable Redis on port {self.port} exited: {log[-400:]}")
            with suppress(redis.RedisError):
                if redis.Redis(port=self.port, socket_timeout=1).ping():
                    return self
            time.sleep(0.1)
        raise RuntimeError(f"the disposable Redis on port {self.port} did not start within 20s")

    def pause(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGCONT)
            _stop_group(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> DisposableRedis:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
