"""`make deps-report` reads the pins and reports stale and vulnerable ones; it asks the network
nothing here: the index's and OSV's answers are given, so the verdict is the code's alone."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from packaging.version import Version

from scripts import deps_report


def test_every_pin_of_the_requirements_files_is_read(tmp_path):
    (tmp_path / "requirements.txt").write_text("Django==5.2.19\n# a comment\ncelery[redis]==5.7.0  # why\n-r x.txt\n")
    (tmp_path / "requirements-dev.txt").write_text("-r requirements.txt\nDjango_Filter==26.2 ; python_version>'3'\n")
    found = deps_report.pins(tmp_path, ["requirements.txt", "requirements-dev.txt", "missing.txt"])
    assert found == {"django": Version("5.2.19"), "celery": Version("5.7.0"), "django-filter": Version("26.2")}


def test_the_repositorys_own_pins_are_all_read():
    found = deps_report.pins()
    assert found["hypothesis"] == Version("6.170.27") and found["playwright"] == Version("1.65.3")
    assert len(found) >= 30


def test_stale_means_a_newer_patch_release_of_the_same_series():
    versions = [Version(v) for v in ("6.170.17", "6.170.27", "6.171.0", "6.170.28rc1", "7.0.0")]
    assert deps_report.newest_patch(Version("6.170.17"), versions) == Version("6.170.27")
    assert deps_report.newest_patch(Version("6.170.27"), versions) is None
    assert deps_report.newest_patch(Version("6.171.0"), versions) is None


def test_the_report_lists_stale_vulnerable_and_unanswered_pins():
    found = {"hypothesis": Version("6.170.17"), "django": Version("5.2.19"), "redis": Version("8.1.0")}
    versions = {
        "hypothesis": [Version("6.170.17"), Version("6.170.27")],
        "django": [Version("5.2.19"), Version("6.0.1")],
        "redis": "ConnectionError: no route",
    }
    result = deps_report.report(found, versions, {"django": ["GHSA-xxxx-yyyy-zzzz", "PYSEC-2026-1"]})
    assert result.stale == ["hypothesis 6.170.17 -> 6.170.27"]
    assert result.vulnerable == ["django 5.2.19: GHSA-xxxx-yyyy-zzzz, PYSEC-2026-1"]
    assert result.unknown == ["redis 8.1.0: the package index did not answer (ConnectionError: no route)"]
    assert result.lines()[0] == "3 pinned, 1 stale, 1 with advisories"


def test_an_unanswered_advisory_query_is_reported_not_raised():
    result = deps_report.report({"django": Version("5.2.19")}, {"django": [Version("5.2.19")]}, "Timeout: slow")
    assert result.stale == [] and result.vulnerable == []
    assert result.unknown == ["advisories: OSV did not answer (Timeout: slow)"]


def test_it_is_a_report_not_a_gate(monkeypatch, capsys):
    monkeypatch.setattr(deps_report, "available", lambda name: [Version("999.0.0")])
    monkeypatch.setattr(deps_report, "advisories", lambda found: {"django": ["PYSEC-2026-1"]})
    monkeypatch.setattr(deps_report, "pins", lambda: {"django": Version("5.2.19")})
    assert deps_report.main([]) == 0
    assert "django 5.2.19: PYSEC-2026-1" in capsys.readouterr().out
    assert deps_report.main(["--strict"]) == 1


class _Index(BaseHTTPRequestHandler):
    """A package index and an OSV endpoint on 127.0.0.1, answering as the real ones do."""

    def do_GET(self):
        if self.path != "/simple/hypothesis/" or "pypi.simple.v1+json" not in self.headers["Accept"]:
            self.send_error(404)
            return
        files = [
            {"filename": "hypothesis-6.170.17-py3-none-any.whl"},
            {"filename": "hypothesis-6.170.27.tar.gz"},
            {"filename": "hypothesis-6.170.29-py3-none-any.whl", "yanked": "broken"},
            {"filename": "not-a-distribution.txt"},
        ]
        self._json({"files": files})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self._json(
            {"results": [{"vulns": [{"id": "PYSEC-1"}]} if q["version"] == "1.0" else {} for q in body["queries"]]}
        )

    def _json(self, data):
        payload = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def index(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Index)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setattr(deps_report, "INDEX_URL", f"{base}/simple")
    monkeypatch.setattr(deps_report, "OSV_URL", f"{base}/v1/querybatch")
    yield base
    server.shutdown()
    server.server_close()


def test_versions_come_from_the_indexs_json_api_without_yanked_files(index):
    assert deps_report.available("hypothesis") == [Version("6.170.17"), Version("6.170.27")]
    assert deps_report.available("nothing-here").startswith("HTTPError")


def test_advisories_come_from_osv_for_the_pinned_version(index):
    found = {"a": Version("1.0"), "b": Version("2.0")}
    assert deps_report.advisories(found) == {"a": ["PYSEC-1"]}
