"""Row 14: bandit finds nothing of medium severity or worse that is not explained, and every pinned
dependency is on the newest patch release of its series."""

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

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


PIN = re.compile(r"^\s*([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*==\s*([^\s;#]+)")

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


def _pins() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for name in ("requirements.txt", "requirements-dev.txt", "requirements-bench.txt"):
        for line in (ROOT / name).read_text().splitlines():
            match = PIN.match(line)
            if match:
                pins[match.group(1).lower()] = Version(match.group(3))
    return pins


INDEX_URL = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/")


def _file_version(filename: str) -> Version | None:
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None


def _available(name: str) -> list[Version] | str:
    """Versions the package index has, yanked ones left out (the index's JSON simple API, PEP 691)."""
    try:
        response = requests.get(
            f"{INDEX_URL}/{canonicalize_name(name)}/",
            headers={"Accept": "application/vnd.pypi.simple.v1+json"},
            timeout=30,
        )
        response.raise_for_status()
        files = response.json()["files"]
    except (requests.RequestException, ValueError, KeyError) as exc:
        return f"{exc.__class__.__name__}: {exc}"
    versions = set()
    for entry in files:
        version = _file_version(entry["filename"])
        if version is not None and not entry.get("yanked"):
            versions.add(version)
    return sorted(versions)


def test_pinned_dependencies_are_on_the_newest_patch_release(scorecard_row):
    pins = _pins()
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = dict(zip(pins, pool.map(_available, pins), strict=True))
    stale, unknown = [], []
    for name, pinned in sorted(pins.items()):
        answer = answers[name]
        if isinstance(answer, str):
            unknown.append(f"{name} ({answer[:80]})")
            continue
        series = [v for v in answer if v.release[:2] == pinned.release[:2] and not v.is_prerelease]
        newest = max(series, default=pinned)
        if newest > pinned:
            stale.append(f"{name} {pinned} -> {newest}")
    figure = f"{len(pins)} pinned, {len(stale)} stale"
    if stale:
        figure += ": " + ", ".join(stale)
    if unknown:
        figure += f"; the package index did not answer for {len(unknown)}: " + ", ".join(unknown)[:300]
    passed = scorecard_row("pinned dependencies on the newest patch release", figure, not stale and not unknown)
    assert passed, figure
