"""`make deps-report`: which pinned dependencies are stale or have a published vulnerability.

A report, not a gate: what the package index and the advisory database published this morning
says nothing about this repository's code, so `make test`, `make scorecard` and `.ci/run` never run
it. It reads every `name==version` pin in requirements*.txt and prints:

- stale: a newer patch release of the same major.minor series (yanked and pre-releases left out),
  from the package index's JSON simple API (PEP 691; `PIP_INDEX_URL`, default pypi.org);
- vulnerable: advisories for that exact version in OSV (https://osv.dev, `OSV_URL`).

    python scripts/deps_report.py [--strict]

The exit status is 0 whatever it finds (1 only for a usage error); `--strict` makes it 1 when a
pin is stale or vulnerable, for whoever wants a gate of their own.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ("requirements.txt", "requirements-dev.txt", "requirements-bench.txt")
PIN = re.compile(r"^\s*([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*==\s*([^\s;#]+)")
INDEX_URL = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/")
OSV_URL = os.environ.get("OSV_URL", "https://api.osv.dev/v1/querybatch")
TIMEOUT = 30


def pins(root: Path = ROOT, files: Iterable[str] = REQUIREMENTS) -> dict[str, Version]:
    """Every `name==version` pin, by canonical name."""
    found: dict[str, Version] = {}
    for name in files:
        path = root / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            match = PIN.match(line)
            if match:
                found[canonicalize_name(match.group(1))] = Version(match.group(3))
    return found


def newest_patch(pinned: Version, available: Iterable[Version]) -> Version | None:
    """The newest release of `pinned`'s major.minor series when it is newer than `pinned`, else None."""
    series = [v for v in available if v.release[:2] == pinned.release[:2] and not v.is_prerelease]
    newest = max(series, default=pinned)
    return newest if newest > pinned else None


def _file_version(filename: str) -> Version | None:
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None


def available(name: str) -> list[Version] | str:
    """Versions the package index has, yanked ones left out; or why it did not answer."""
    try:
        response = requests.get(
            f"{INDEX_URL}/{name}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}, timeout=TIMEOUT
        )
        response.raise_for_status()
        files = response.json()["files"]
    except (requests.RequestException, ValueError, KeyError) as exc:
        return f"{exc.__class__.__name__}: {exc}"
    versions = {_file_version(entry["filename"]) for entry in files if not entry.get("yanked")}
    return sorted(v for v in versions if v is not None)


def advisories(found: dict[str, Version]) -> dict[str, list[str]] | str:
    """OSV advisory ids for each pin that has any; or why OSV did not answer."""
    names = sorted(found)
    queries = [{"package": {"name": n, "ecosystem": "PyPI"}, "version": str(found[n])} for n in names]
    try:
        response = requests.post(OSV_URL, json={"queries": queries}, timeout=TIMEOUT)
        response.raise_for_status()
        results = response.json()["results"]
    except (requests.RequestException, ValueError, KeyError) as exc:
        return f"{exc.__class__.__name__}: {exc}"
    return {
        name: [v["id"] for v in result.get("vulns", [])]
        for name, result in zip(names, results, strict=True)
        if result.get("vulns")
    }


@dataclass
class Report:
    pinned: int = 0
    stale: list[str] = field(default_factory=list)
    vulnerable: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{self.pinned} pinned, {len(self.stale)} stale, {len(self.vulnerable)} with advisories"]
        out += [f"  stale       {line}" for line in self.stale]
        out += [f"  vulnerable  {line}" for line in self.vulnerable]
        out += [f"  unknown     {line}" for line in self.unknown]
        return out


def report(found: dict[str, Version], versions: dict[str, list[Version] | str], vulns: dict[str, list[str]] | str):
    """The report from what the index and OSV answered (no network here: tested as it is)."""
    result = Report(pinned=len(found))
    for name, pinned in sorted(found.items()):
        answer = versions.get(name, "not asked")
        if isinstance(answer, str):
            result.unknown.append(f"{name} {pinned}: the package index did not answer ({answer[:100]})")
            continue
        newer = newest_patch(pinned, answer)
        if newer is not None:
            result.stale.append(f"{name} {pinned} -> {newer}")
    if isinstance(vulns, str):
        result.unknown.append(f"advisories: OSV did not answer ({vulns[:100]})")
    else:
        result.vulnerable = [f"{name} {found[name]}: {', '.join(ids)}" for name, ids in sorted(vulns.items())]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="deps_report", description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 when a pin is stale or vulnerable")
    args = parser.parse_args(argv)
    found = pins()
    with ThreadPoolExecutor(max_workers=8) as pool:
        versions = dict(zip(found, pool.map(available, found), strict=True))
    result = report(found, versions, advisories(found))
    print("\n".join(result.lines()))
    return 1 if args.strict and (result.stale or result.vulnerable) else 0


if __name__ == "__main__":
    sys.exit(main())
