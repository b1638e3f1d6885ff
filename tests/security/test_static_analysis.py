"""Row 14: bandit finds nothing of medium severity or worse that is not explained.

Whether the pinned dependencies are on their newest patch release, or have a published advisory,
is what the package index and OSV say today, not what this code does: `make deps-report`
(scripts/deps_report.py) reports it, and no test or scorecard row fails on it."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Not scanned: what is not shipped (the tests, the `make bench` harness that drives localhost) and
# what is not ours (the virtualenv, vendored static files).
EXCLUDED = ["./.venv", "./tests", "./bench", "./static", "./staticfiles", "./node_modules"]
# A suppression names the test it silences and says why: `# nosec B608 - the table name is ours`,
# or ruff's spelling of the same bandit rule, `
EXPLAINED_NOSEC = re.compile(r"#\s*nosec\s+B\d{3}(,\s*B\d{3})*\s*[-:]\s*\S")


def _explained(path: Path, lines: list[int], test_id: str) -> bool:
    """A finding whose statement carries a `noqa` for the same rule with a reason after it."""
    rule = re.compile(rf"#\s*noqa:[^#]*\bS{test_id[1:]}\b[^#]*?\s[-:]\s*\S")
    text = path.read_text(errors="replace").splitlines()
    return any(rule.search(text[n - 1]) for n in lines if 0 < n <= len(text))


pytestmark = pytest.mark.scorecard(row=14)


def _sources() -> list[Path]:
    excluded = {ROOT / prefix.removeprefix("./") for prefix in EXCLUDED}
    found = []
    for directory, subdirs, files in os.walk(ROOT):
        subdirs[:] = [d for d in subdirs if Path(directory, d) not in excluded and not d.startswith(".")]
        found += [Path(directory, name) for name in files if name.endswith(".py")]
    return found


def test_bandit_has_no_unexplained_findings(scorecard_row):
    result = subprocess.run(
        [str(BIN / "bandit"), "-ll", "-r", ".", "-x", ",".join(EXCLUDED), "-f", "json", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(result.stdout)
    findings, explained = [], 0
    for r in report["results"]:
        if _explained(ROOT / r["filename"], r.get("line_range") or [r["line_number"]], r["test_id"]):
            explained += 1
        else:
            findings.append(f"{r['filename'].removeprefix('./')}:{r['line_number']} {r['test_id']} {r['issue_text']}")
    # `# nosec` without the test id and a reason hides a finding without explaining it.
    bare_nosec = []
    for path in _sources():
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if "nosec" in line and not EXPLAINED_NOSEC.search(line):
                bare_nosec.append(f"{path.relative_to(ROOT)}:{number} unexplained nosec")
    problems = findings + bare_nosec
    scanned = report["metrics"]["_totals"]["loc"]
    passed = scorecard_row(
        "bandit -ll",
        f"{len(problems)} unexplained findings in {scanned} lines ({explained} explained in place; "
        "tests/ and bench/ not scanned: not shipped)" + (": " + "; ".join(problems)[:500] if problems else ""),
        not problems,
    )
    assert passed, problems
