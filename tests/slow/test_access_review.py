"""`make review` through the real engine, on pull-request-like changes made in a temporary git repository: a clone
of this checkout, reset to its HEAD before each change, one commit on top, reviewed against HEAD~1. The base is
deployed once and kept (--base-cache); each review copies it back and deploys its head over it, the upgrade path.
On the postgres profile (the review code is the same on both; the Supabase-shaped one is `make review`'s)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from scheduler_kit.access.kit_tree import BaseCache
from scheduler_kit.access_review import main as review
from tests.support.toolchain import ROOT, ensure_pulumi_environment

pytestmark = pytest.mark.review
WIDENING_POLICY = """
  scheduled_jobs_select_authenticated:
    command: SELECT
    roles: [authenticated]
    using: "true"
    comment: A careless change, every signed-in user reads the execution history.
"""


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    ensure_pulumi_environment()
    clone = tmp_path_factory.mktemp("review") / "kit"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)], check=True)
    _git(clone, "config", "user.email", "review-test@example.invalid")
    _git(clone, "config", "user.name", "review test")
    cache = BaseCache(tmp_path_factory.mktemp("base-cache"))
    yield clone, _git(clone, "rev-parse", "HEAD"), cache
    cache.drop()


def _change(repo, edits: dict[str, callable], message: str) -> Path:
    clone, base, _ = repo
    _git(clone, "reset", "--quiet", "--hard", base)
    for path, edit in edits.items():
        file = clone / path
        file.write_text(edit(file.read_text()))
    _git(clone, "commit", "--quiet", "-am", message)
    return clone


def _review(repo, out: Path, capsys) -> tuple[int, str, str]:
    clone, _, cache = repo
    status = review(["--base", "HEAD~1", "--profile", "postgres", "--tree", str(clone), "--out", str(out),
                     "--base-cache", str(cache.directory)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _table_rows(markdown: str) -> list[str]:
    """The access changes table's rows (not its header)."""
    return [line for line in markdown.splitlines() if line.startswith("| ") and "→" in line and not line.startswith("| |")]


def test_a_policy_that_lets_authenticated_read_the_history_is_a_flagged_widening_until_the_matrix_says_so(
        repo, tmp_path, capsys):
    clone = _change(repo, {"policies/scheduler_rls.yaml": lambda text: text.replace(
        "\nscheduled_jobs:\n", "\nscheduled_jobs:" + WIDENING_POLICY + "\n", 1)}, "Let users read the history")
    status, out, _ = _review(repo, tmp_path / "widened", capsys)
    assert status == 1, out
    rows = _table_rows(out)
    regular = [r for r in rows if "| scheduled_jobs SELECT | regular | zero → rows |" in r]
    assert regular and regular[0].startswith("| ⚠️ **widened** |"), rows
    assert "policy added: `scheduled_jobs_select_authenticated` on scheduled_jobs" in regular[0]
    assert not [r for r in rows if "narrowed" in r.split("|")[1]], rows
    # Widenings come first: no other kind of change above the last widened row.
    kinds = [r.split("|")[1].strip() for r in rows]
    assert kinds == sorted(kinds, key=lambda k: k != "⚠️ **widened**"), kinds
    assert "observed `rows`, the file says `zero`" in out

    # The pull request declares the new access in the matrix file too: now the review passes.
    head = json.loads((tmp_path / "widened/postgres/head/access-matrix.json").read_text())
    matrix_file = clone / "tests/access_matrix.yaml"
    matrix = yaml.safe_load(matrix_file.read_text())
    actors = matrix["actors"]
    for cell in head["cells"]:
        if cell["differs"]:
            section = matrix["functions"] if cell["kind"] == "function" else matrix["tables"]
            operation = cell["operation"] + (f" {cell['column']}" if cell["column"] else "")
            section[cell["object"]][operation][actors.index(cell["actor"])] = cell["observed"]
    matrix_file.write_text(yaml.safe_dump(matrix, sort_keys=False))
    _git(clone, "commit", "--quiet", "--amend", "-am", "Let users read the history, declared in the matrix")
    status, out, _ = _review(repo, tmp_path / "declared", capsys)
    assert status == 0, out
    assert "| scheduled_jobs SELECT | regular | zero → rows |" in out
    assert "every observed cell is as it says" in out


def test_a_grant_of_update_on_a_statistics_column_widens_and_a_tightening_narrows_each_with_its_grant_named(
        repo, tmp_path, capsys):
    """One change doing both (they share a review run): admins may now write total_runs, and no longer
    cron_expression. The widening is listed first."""
    _change(repo, {"scheduler_kit/model.py": lambda text: text.replace(
        '{"UPDATE": ["cron_expression", "enabled"]}', '{"UPDATE": ["enabled", "total_runs"]}')},
        "Admins correct run counts instead of rescheduling")
    status, out, _ = _review(repo, tmp_path, capsys)
    assert status == 1, out
    rows = _table_rows(out)
    widened = [r for r in rows if r.startswith("| ⚠️ **widened** |")]
    narrowed = [r for r in rows if r.startswith("| narrowed |")]
    assert rows == widened + narrowed, rows
    admin = [r for r in widened if "| job_schedules UPDATE total_runs | admin | denied → rows |" in r]
    assert admin and "grant added: UPDATE on job_schedules(total_runs) to authenticated (column grant)" in admin[0]
    # A grant only RLS masks is still a widening.
    assert [r for r in widened if "| job_schedules UPDATE total_runs | regular | denied → zero |" in r], rows
    assert {r.split("|")[2].strip() for r in widened} == {"job_schedules UPDATE total_runs"}
    admin = [r for r in narrowed if "| job_schedules UPDATE cron_expression | admin | rows → denied |" in r]
    assert admin and "grant gone: UPDATE on job_schedules(cron_expression) to authenticated (column grant)" in admin[0]
    assert {r.split("|")[2].strip() for r in narrowed} == {"job_schedules UPDATE cron_expression"}
    assert "⚠️ 4 cells widened, 4 narrowed" in out  # admin, regular, unknown_sub, odd_sub each way


def test_a_jobs_file_change_alone_changes_no_access(repo, tmp_path, capsys):
    _change(repo, {"jobs.yaml": lambda text: text.rstrip("\n") + """
  - name: review-test-job
    cron: "0 3 * * *"
    service: review-service
    endpoint: /api/jobs/review
"""}, "One more job")
    status, out, _ = _review(repo, tmp_path, capsys)
    assert status == 0, out
    assert "No cell of the observed matrix changed." in out
    assert "1 added" in out and "`review-test-job`" in out
    assert "1 create" in out  # the deploy's counts: the job's resource


def test_a_change_that_breaks_the_deploy_exits_3_with_the_deploys_error_in_one_line(repo, tmp_path, capsys):
    _change(repo, {"policies/scheduler_rls.yaml": lambda text: text.replace(
        "\nscheduled_jobs:\n", "\nscheduled_jobs:" + WIDENING_POLICY.replace('"true"', "(select no_such_function())")
        + "\n", 1)}, "A policy calling a function that does not exist")
    status, out, err = _review(repo, tmp_path, capsys)
    assert status == 3, out
    reason = [line for line in err.splitlines() if line.startswith("access review: postgres:")]
    assert len(reason) == 1 and "the head does not deploy" in reason[0] and "no_such_function" in reason[0], err
    assert "could not run" in out
