"""Row 1: the production settings pass Django's deployment checklist and refuse to start without
Redis, the OpenAPI schema validates without a warning, and the models have no migration left to
write."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from scorecard.processes import database_url_for

ROOT = Path(__file__).resolve().parents[2]

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/shop"

pytestmark = pytest.mark.scorecard(row=1)


def production_env() -> dict[str, str]:
    """What an operator sets in production (README): real secrets, a host, a database."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        JWT_SIGNING_KEY=secrets.token_urlsafe(64),
        PAYMENT_SECRETS_KEY=Fernet.generate_key().decode(),
        WALLET_FREE_TOPUP="false",
        DJANGO_ALLOWED_HOSTS="shop.example.com",
        # The maintenance database: it always exists, and nothing here writes to it.
        DATABASE_URL=database_url_for(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL), "postgres"),
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1"),
    )
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize("how", ["unset", "empty"])
def test_production_settings_refuse_to_start_without_redis(scorecard_row, how):
    """Without REDIS_URL the base settings would fall back to a per-process cache, an in-memory
    broker and in-process tasks; production stops at start-up instead, saying what to set."""
    env = production_env()
    if how == "unset":
        env.pop("REDIS_URL")
        dotenv = ROOT / ".env"
        if dotenv.exists() and re.search(r"^\s*REDIS_URL\s*=", dotenv.read_text(), re.M):
            pytest.skip(".env sets REDIS_URL, so it is never unset here")
    else:
        env["REDIS_URL"] = ""  # an empty value is not taken from .env either
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    last_line = (result.stderr.strip().splitlines() or [""])[-1]
    passed = scorecard_row(
        f"production settings with REDIS_URL {how}: refuse to start",
        f"exit {result.returncode}: {last_line[:200]}",
        result.returncode != 0 and "ImproperlyConfigured" in last_line and "Set the REDIS_URL" in last_line,
    )
    assert passed, result.stderr


def test_check_deploy_with_production_settings(scorecard_row):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    output = result.stdout + result.stderr
    issues = [line.strip() for line in output.splitlines() if ": (" in line and ") " in line]
    passed = scorecard_row(
        "manage.py check --deploy --fail-level WARNING (production settings)",
        f"{len(issues)} issues" + (": " + "; ".join(issues)[:600] if issues else ""),
        result.returncode == 0 and not issues,
    )
    assert passed, output


def test_openapi_schema_validates_without_warnings(scorecard_row, tmp_path):
    result = manage(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"), env=production_env()
    )
    output = result.stdout + result.stderr
    summary = [line.strip() for line in output.splitlines() if line.startswith(("Warnings:", "Errors:"))]
    problems = [line.strip() for line in output.splitlines() if re.match(r"^(\S*: )?(Warning|Error)\b", line)]
    passed = scorecard_row(
        "OpenAPI schema (spectacular --validate --fail-on-warn)",
        (", ".join(summary) or "0 warnings, 0 errors") + (": " + "; ".join(problems)[:600] if problems else ""),
        result.returncode == 0,
    )
    assert passed, output


def test_no_missing_migrations(scorecard_row):
    env = production_env()
    result = manage("makemigrations", "--check", "--dry-run", env=env)
    output = result.stdout + result.stderr
    passed = scorecard_row(
        "makemigrations --check",
        "clean" if result.returncode == 0 else "missing migrations: " + " ".join(output.split())[:400],
        result.returncode == 0,
    )
    assert passed, output


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("WALLET_FREE_TOPUP", "true", "WALLET_FREE_TOPUP is on"),
        ("PAYMENT_SECRETS_KEY", None, "PAYMENT_SECRETS_KEY"),
    ],
)
def test_production_settings_refuse_free_topups_and_plain_gateway_keys(variable, value, says):
    """Free top-ups would let anyone buy anything; gateway keys need their own encryption key."""
    env = production_env()
    if value is None:
        env.pop(variable)
    else:
        env[variable] = value
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert says in result.stderr
