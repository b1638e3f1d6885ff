"""`make scorecard`: every row of the reliability and security scorecard, then one table.

    python -m scorecard [--rows 1,2,10] [--skip-faults] [--skip-pytest]

Rows 1-9, 13 and 14 are the pytest tests in tests/security (the same ones `make test` runs), run
against the PostgreSQL and Redis `make test` uses, in a test database of their own; a test belongs
to a row by its `@pytest.mark.scorecard(row=N)` marker, and the table says which files make up
each row (the files are named for what they prove, not for the row). Rows 10-12
stop and start services, so they run only here (`scorecard.faults`), against disposable
PostgreSQL and Redis instances. The last line is `N passed, N failed`; the exit status is 1 when
a row failed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scorecard import results

ROOT = Path(__file__).resolve().parent.parent
FAULT_ROWS = [10, 11, 12]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scorecard", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", help="only these rows, e.g. 1,2,10", default="")
    parser.add_argument("--skip-pytest", action="store_true", help="leave out rows 1-9, 13, 14")
    parser.add_argument("--skip-faults", action="store_true", help="leave out rows 10-12")
    args = parser.parse_args(argv)
    wanted = [int(r) for r in args.rows.split(",") if r.strip()] or list(results.ROWS)
    pytest_rows = [r for r in wanted if r not in FAULT_ROWS and not args.skip_pytest]
    fault_rows = [r for r in wanted if r in FAULT_ROWS and not args.skip_faults]

    work = Path(tempfile.mkdtemp(prefix="scorecard-"))
    results_file = Path(os.environ.get("SCORECARD_RESULTS") or work / "results.jsonl")
    results_file.unlink(missing_ok=True)
    files_file = work / "row_files.json"
    env = {
        **os.environ,
        "SCORECARD_RESULTS": str(results_file),
        "SCORECARD_ROW_FILES": str(files_file),
        "SCORECARD_LOG_DIR": str(work / "logs"),
        "PYTHONUNBUFFERED": "1",
    }
    env.setdefault("TEST_DATABASE_NAME", "test_shop_scorecard")
    started = time.monotonic()
    timings = []

    if pytest_rows:
        t = time.monotonic()
        command = [sys.executable, "-m", "pytest", "tests/security", "-q", "-p", "no:randomly"]
        if set(pytest_rows) != set(results.ROWS) - set(FAULT_ROWS):
            command += ["--scorecard-rows", ",".join(map(str, pytest_rows))]
        print("$ " + " ".join(command), flush=True)
        subprocess.run(command, cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "config.settings.test"}, check=False)
        timings.append(f"rows {','.join(map(str, pytest_rows))} (pytest): {time.monotonic() - t:.0f}s")

    if fault_rows:
        t = time.monotonic()
        command = [sys.executable, "-m", "scorecard.faults", "--rows", ",".join(map(str, fault_rows))]
        print("$ " + " ".join(command), flush=True)
        subprocess.run(command, cwd=ROOT, env=env, check=False)
        timings.append(f"rows {','.join(map(str, fault_rows))} (fault injection): {time.monotonic() - t:.0f}s")

    files = {**results.load_files(files_file), **{row: ["scorecard/faults.py"] for row in fault_rows}}
    text, passed, failed = results.table(results.load(results_file), sorted(pytest_rows + fault_rows), files)
    print("\n" + "=" * 30 + " scorecard " + "=" * 30)
    print(text)
    print("-" * 71)
    print("; ".join(timings) + f"; total {time.monotonic() - started:.0f}s; results in {results_file}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
