"""The scorecard's table names the files each row is made of, and a row that did not run fails."""

import json

from scorecard import results


def test_the_table_lists_each_rows_files_and_fails_a_row_without_results(tmp_path):
    files_file = tmp_path / "row_files.json"
    files_file.write_text(json.dumps({"5": ["tests/security/test_cart_tampering.py", "tests/security/test_x.py"]}))
    files = {**results.load_files(files_file), 10: ["scorecard/faults.py"]}
    recorded = [results.Result(row=5, check="POST /cart/add/ (form)", figure="40 tampered requests", passed=True)]
    text, passed, failed = results.table(recorded, [5, 10], files)
    assert (passed, failed) == (1, 1)
    assert text.splitlines() == [
        "PASS   5. Tampering",
        "        files: tests/security/test_cart_tampering.py, tests/security/test_x.py",
        "        ok   POST /cart/add/ (form): 40 tampered requests",
        "FAIL  10. Worker death",
        "        files: scorecard/faults.py",
        "        (no result: the row did not run)",
    ]


def test_no_files_file_means_no_files_listed(tmp_path):
    assert results.load_files(tmp_path / "missing.json") == {}
