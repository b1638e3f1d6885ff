"""The pre-commit hooks are pinned, and pinned to what `make lint` runs: the same ruff version as
requirements-dev.txt, lint and format, and the migrations check."""

from pathlib import Path

import yaml

from scripts import deps_report

ROOT = Path(__file__).resolve().parents[2]


def _hooks() -> dict[str, dict]:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    return {hook["id"]: {**hook, "repo": repo["repo"]} for repo in config["repos"] for hook in repo["hooks"]}


def test_ruff_lint_and_format_run_the_version_make_lint_runs():
    hooks = _hooks()
    pinned = str(deps_report.pins(ROOT, ["requirements-dev.txt"])["ruff"])
    for hook_id, command in (("ruff-check", "ruff check"), ("ruff-format", "ruff format")):
        assert hooks[hook_id]["entry"].startswith(command)
        assert hooks[hook_id]["additional_dependencies"] == [f"ruff=={pinned}"]


def test_the_migrations_check_runs_on_the_whole_project():
    hook = _hooks()["migrations-check"]
    assert hook["entry"].endswith("manage.py makemigrations --check --dry-run")
    assert hook["pass_filenames"] is False


def test_every_remote_hook_repository_is_pinned_to_a_revision():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    for repo in config["repos"]:
        assert repo["repo"] == "local" or repo.get("rev"), repo
