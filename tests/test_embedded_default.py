"""`make run`'s embedded default: SQLite with tasks in-process. The suite runs on PostgreSQL, so
this is the one test that walks the shop's SQL (raw statements included: the wallet's and the
stock's conditional updates, the order number) on SQLite, as a newcomer's first `make run` does."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_migrate_and_the_demo_data_work_on_sqlite(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        SQLITE_PATH=str(tmp_path / "shop.sqlite3"),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="WARNING",
    )

    def manage(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
        )

    migrated = manage("migrate", "--no-input")
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    seeded = manage("seed_demo")
    assert seeded.returncode == 0, seeded.stderr[-2000:]
    assert "Demo data is ready." in seeded.stdout
    assert "demo orders placed" in seeded.stdout

    # Run again: idempotent, and still consistent (the wallets' balance is their ledger's sum).
    again = manage("seed_demo")
    assert again.returncode == 0, again.stderr[-2000:]
    check = manage(
        "shell",
        "-c",
        "from django.db.models import Sum; from payments.models import Wallet, WalletEntry; "
        "bad = [w.pk for w in Wallet.objects.all() if w.balance != sum(e.signed_amount for e in "
        "WalletEntry.objects.filter(wallet=w))]; print('wallets', Wallet.objects.count(), 'bad', bad)",
    )
    assert check.returncode == 0, check.stderr[-2000:]
    assert "bad []" in check.stdout and "wallets 0" not in check.stdout
