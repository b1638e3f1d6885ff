"""The scorecard's rows and how their results are recorded and printed.

Every check appends one JSON line to the results file named by `SCORECARD_RESULTS` (when set) and
is printed on the terminal; a row passes when it has at least one result and every result passed.
The pytest rows (tests/security) and the fault-injection rows (scorecard/faults) both write here,
and `python -m scorecard` prints the table from the file.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROWS: dict[int, str] = {
    1: "Production settings",
    2: "Security headers",
    3: "API fuzzing",
    4: "Authorization matrix",
    5: "Tampering",
    6: "Stateful invariants",
    7: "Coupon race",
    8: "Double spend",
    9: "Idempotency",
    10: "Worker death",
    11: "Redis outage",
    12: "PostgreSQL restart",
    13: "Sign-in and sessions",
    14: "Static checks",
}


@dataclass(frozen=True)
class Result:
    row: int
    check: str
    figure: str
    passed: bool
    at: float = 0.0


def results_path() -> Path | None:
    value = os.environ.get("SCORECARD_RESULTS")
    return Path(value) if value else None


def record(row: int, check: str, figure: str, passed: bool) -> Result:
    """Append one result to the results file (if any) and return it."""
    if row not in ROWS:
        raise ValueError(f"no scorecard row {row}")
    result = Result(row=row, check=check, figure=figure, passed=bool(passed), at=time.time())
    path = results_path()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(asdict(result)) + "\n")
    return result


def load(path: Path) -> list[Result]:
    if not path.exists():
        return []
    return [Result(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def format_result(result: Result) -> str:
    mark = "PASS" if result.passed else "FAIL"
    return f"  [{mark}] {result.row:>2}. {ROWS[result.row]}: {result.check}: {result.figure}"


def load_files(path: Path) -> dict[int, list[str]]:
    """Which test files make up each pytest row (written by tests/security/conftest.py)."""
    if not path.exists():
        return {}
    return {int(row): files for row, files in json.loads(path.read_text(encoding="utf-8")).items()}


def table(
    results: list[Result], rows: list[int] | None = None, files: dict[int, list[str]] | None = None
) -> tuple[str, int, int]:
    """The printed table, and the number of rows passed and failed (a row without results fails).

    Under each row: the files its checks are in (`files`), then every check with its figure.
    """
    rows = rows or list(ROWS)
    files = files or {}
    lines = []
    passed = failed = 0
    for row in rows:
        mine = [r for r in results if r.row == row]
        ok = bool(mine) and all(r.passed for r in mine)
        passed += ok
        failed += not ok
        lines.append(f"{'PASS' if ok else 'FAIL'}  {row:>2}. {ROWS[row]}")
        if files.get(row):
            lines.append(f"        files: {', '.join(files[row])}")
        if not mine:
            lines.append("        (no result: the row did not run)")
        for r in mine:
            lines.append(f"        {'ok  ' if r.passed else 'FAIL'} {r.check}: {r.figure}")
    return "\n".join(lines), passed, failed
