"""The reliability and security scorecard, rows 1-9, 13 and 14 (issue 5).

The files are named for what they prove; each test is marked `@pytest.mark.scorecard(row=N)`,
which is what ties it to its row (`--scorecard-rows 3,5` runs only those rows' tests), and reports
its figures with the `scorecard_row` fixture: they are printed at the end of the run and, when
`SCORECARD_RESULTS` names a file, appended to it for `make scorecard`'s table. A marked test that
fails or errors before reporting is recorded as a failure of its row, so a row never passes by not
running. Which files make up each row is printed too, and written to `SCORECARD_ROW_FILES` (JSON)
when that names a file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings

from scorecard import results
from scorecard.processes import Gunicorn, database_url_for

_RECORDED = pytest.StashKey[list[results.Result]]()
_REPORTED_FAILURE = pytest.StashKey[bool]()
_ROW_FILES = pytest.StashKey[dict[int, list[str]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--scorecard-rows", default="", help="run only the tests of these scorecard rows, e.g. 3,5 (by their marker)"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "scorecard(row): a row of the reliability and security scorecard (issue 5)")
    config.stash[_RECORDED] = []


def _row_of(item: pytest.Item) -> int | None:
    marker = item.get_closest_marker("scorecard")
    return None if marker is None else int(marker.kwargs.get("row", marker.args[0] if marker.args else 0))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = {int(row) for row in str(config.getoption("--scorecard-rows", "") or "").split(",") if row.strip()}
    if wanted:
        dropped = [item for item in items if _row_of(item) not in wanted]
        items[:] = [item for item in items if _row_of(item) in wanted]
        config.hook.pytest_deselected(items=dropped)
    files: dict[int, set[str]] = {}
    for item in items:
        row = _row_of(item)
        if row is not None:
            files.setdefault(row, set()).add(item.nodeid.split("::")[0])
    config.stash[_ROW_FILES] = {row: sorted(names) for row, names in sorted(files.items())}
    if os.environ.get("SCORECARD_ROW_FILES"):
        path = Path(os.environ["SCORECARD_ROW_FILES"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(config.stash[_ROW_FILES]))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    row = _row_of(item)
    if row is not None and report.failed and not item.stash.get(_REPORTED_FAILURE, False):
        reason = call.excinfo.exconly().splitlines()[0][:300] if call.excinfo else "failed"
        result = results.record(row, f"{item.name} ({report.when})", reason, False)
        item.config.stash[_RECORDED].append(result)
    return report


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    recorded = config.stash.get(_RECORDED, [])
    if not recorded:
        return
    terminalreporter.section("scorecard")
    for result in recorded:
        terminalreporter.write_line(results.format_result(result))
    for row, files in config.stash.get(_ROW_FILES, {}).items():
        terminalreporter.write_line(f"  row {row:>2} ({results.ROWS[row]}): {', '.join(files)}")


@pytest.fixture
def scorecard_row(request: pytest.FixtureRequest) -> Callable[[str, str, bool], bool]:
    """`scorecard_row(check, figure, passed)`: report one figure of this test's row; returns `passed`."""
    row = _row_of(request.node)
    assert row is not None, "mark the test with @pytest.mark.scorecard(row=N)"

    def report(check: str, figure: str, passed: bool) -> bool:
        result = results.record(row, check, figure, passed)
        request.config.stash[_RECORDED].append(result)
        if not passed:
            request.node.stash[_REPORTED_FAILURE] = True
        print(results.format_result(result))
        return bool(passed)

    return report


# --- a real server on the test database ---------------------------------------------------------


@pytest.fixture(scope="session")
def test_database_url(django_db_setup, django_db_blocker) -> str:
    """The URL of the test database pytest-django created, for the servers we start."""
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shop")
    return database_url_for(base, settings.DATABASES["default"]["NAME"])


@pytest.fixture(scope="session")
def shop_server(test_database_url: str) -> Iterator[Gunicorn]:
    """gunicorn (2 workers x 8 threads) with the scorecard settings, serving the test database.

    Tests that use it must commit their data: `@pytest.mark.django_db(transaction=True)`.
    """
    server = Gunicorn(
        env={
            "DATABASE_URL": test_database_url,
            "SCORECARD_CACHE_PREFIX": f"scorecard-{os.getpid()}",
            "CELERY_TASK_ALWAYS_EAGER": "true",
        },
        workers=2,
        threads=8,
    )
    server.start()
    yield server
    server.stop()
