"""The review's pure logic: which cells changed and which way, what caused it, the comment's size limit, the engine
error's one line. (Through a database and the engine: tests/slow/test_access_review.py.)"""

from __future__ import annotations

from scheduler_kit.access.causes import Catalog, PolicyRow
from scheduler_kit.access.cells import Cell
from scheduler_kit.access.kit_tree import one_line
from scheduler_kit.access.observe import Observation, ObservedCell
from scheduler_kit.access.render import to_markdown
from scheduler_kit.access.review import (COMMENT_LIMIT, MARKER, ProfileReview, access_changes, fit_comment,
                                         review_markdown)

POLICY = PolicyRow("scheduled_jobs", "scheduled_jobs_select_admin_service", "SELECT", ("authenticated",),
                   "PERMISSIVE", "(select scheduler_private.is_admin())", "")


def _cell(row: str, actor: str, observed: str, expected: str, grants=(), policies=()) -> ObservedCell:
    obj, operation, *column = row.split(" ")
    cause = {"summary": f"{actor} {observed}", "privilege": {"grants": list(grants)},
             "row_security": [{"policies": [p.as_dict() for p in policies]}]}
    return ObservedCell(Cell(obj, "table", operation, column[0] if column else None, actor, expected),
                        {"plain": observed}, [cause])


def _observation(cells: list[ObservedCell], policies=()) -> Observation:
    return Observation("postgres", "db", "tests/access_matrix.yaml", ["admin", "regular"], cells,
                       Catalog("authenticator", list(policies), {}, [], {}))


def test_widenings_come_first_and_each_names_its_cause():
    widened_policy = PolicyRow(*[*POLICY.__dict__.values()][:5], "true", "")
    base = _observation([
        _cell("job_schedules UPDATE enabled", "admin", "rows", "rows",
              grants=["UPDATE on job_schedules(enabled) to authenticated (column grant)"]),
        _cell("scheduled_jobs SELECT", "regular", "zero", "zero", policies=[POLICY]),
        _cell("scheduled_jobs SELECT", "admin", "rows", "rows", policies=[POLICY]),
    ], [POLICY])
    head = _observation([
        _cell("job_schedules UPDATE enabled", "admin", "denied", "rows"),
        _cell("scheduled_jobs SELECT", "regular", "rows", "zero", policies=[widened_policy]),
        _cell("scheduled_jobs SELECT", "admin", "rows", "rows", policies=[widened_policy]),
    ], [widened_policy])
    changes = access_changes(base, head)
    assert [(c.row, c.actor, c.before, c.after, c.direction) for c in changes] == [
        ("scheduled_jobs SELECT", "regular", "zero", "rows", "widened"),
        ("job_schedules UPDATE enabled", "admin", "rows", "denied", "narrowed")]
    assert changes[0].causes == ["policy changed: `scheduled_jobs_select_admin_service` on scheduled_jobs"]
    assert changes[1].causes == ["grant gone: UPDATE on job_schedules(enabled) to authenticated (column grant)"]

    review = ProfileReview("postgres", base=base, head=head, resource_changes={"same": 130, "update": 2})
    text = review_markdown([review], "origin/main", "0123456789abcdef", "the working tree")
    assert text.startswith(MARKER + "\n## Access review: `origin/main` (0123456789)")
    assert "the deploy changed 2 update (130 unchanged); access: ⚠️ 1 cells widened, 1 narrowed" in text
    assert "❌ **2 cells differ from the head's matrix file**" in text
    assert text.index("⚠️ **widened** | scheduled_jobs SELECT | regular | zero → rows") < text.index("| narrowed |")
    assert "Policy text: 1 policies added, changed or dropped" in text and "+  USING true" in text


def test_a_denied_cell_that_now_holds_a_privilege_only_rls_masks_is_a_widening():
    base = _observation([_cell("users INSERT", "regular", "denied", "denied")])
    head = _observation([_cell("users INSERT", "regular", "policy", "denied")])
    assert [c.direction for c in access_changes(base, head)] == ["widened"]


def test_a_row_new_in_the_matrix_file_is_listed_without_a_before():
    base = _observation([])
    head = _observation([_cell("job_schedules UPDATE owner", "admin", "denied", "denied")])
    (change,) = access_changes(base, head)
    assert (change.before, change.after, change.direction) == (None, "denied", "changed")


def test_the_markdown_matrix_marks_cells_that_differ_from_the_file():
    text = to_markdown(_observation([_cell("scheduled_jobs SELECT", "admin", "rows", "rows"),
                                     _cell("scheduled_jobs SELECT", "regular", "rows", "zero")]))
    assert "| scheduled_jobs | SELECT | rows | **rows** ≠ zero |" in text
    assert "**1 differ**" in text


def test_a_comment_fits_githubs_limit_folded_text_first_then_cut_with_the_pointer():
    short = MARKER + "\nsmall\n"
    assert fit_comment(short, "see the artifact") == short
    folded = "\n".join([MARKER, "summary", "<details>", "<summary>grants</summary>", *["x" * 100] * 1000,
                        "</details>", "after"])
    fitted = fit_comment(folded, "see the artifact")
    assert len(fitted) <= COMMENT_LIMIT and fitted.startswith(MARKER + "\nsummary") and "after" in fitted
    assert "folded text left out" in fitted and "see the artifact" in fitted
    huge = "\n".join([MARKER, "summary", *[f"| row {i} |" + "y" * 80 for i in range(2000)]])
    fitted = fit_comment(huge, "see the artifact")
    assert len(fitted) <= COMMENT_LIMIT and fitted.startswith(MARKER) and fitted.rstrip().endswith("see the artifact._")
    assert all(line.startswith(("| row", MARKER, "summary", "_The review")) or not line for line in fitted.splitlines())


def test_the_deploys_error_is_the_first_line_that_says_why():
    error = RuntimeError("code: 255\n stdout: Updating (review-x):\n\n"
                         " stderr: error: update failed\n"
                         "    error: psycopg.errors.UndefinedFunction: function no_such_function() does not exist\n"
                         "error: update failed\n")
    assert one_line(error) == "psycopg.errors.UndefinedFunction: function no_such_function() does not exist"
    engine = RuntimeError(
        " +  pulumi-python:dynamic/schedkit:Policy policy-x **creating failed** error: Traceback (most recent call last):\n"
        "      File \"/kit/scheduler_kit/providers/base.py\", line 166, in create\n"
        "    psycopg.errors.UndefinedFunction: function no_such_function() does not exist\n"
        " +  pulumi:pulumi:Stack scheduler-kit-review **creating failed (12s)** 1 error\n"
        "    error: Resource monitor has terminated, shutting down\n    error: update failed\n")
    assert one_line(engine) == "policy-x: psycopg.errors.UndefinedFunction: function no_such_function() does not exist"
    # A call the engine cancelled after the first failure comes before the reason in the text: not the reason.
    cancelled = RuntimeError(
        " +  pulumi-python:dynamic/schedkit:Policy policy-x **creating failed** error: Traceback:\n"
        "    Exception: context canceled\n"
        " +  pulumi-python:dynamic/schedkit:Policy policy-y **creating failed** error: Traceback:\n"
        "    psycopg.errors.UndefinedFunction: function no_such_function() does not exist\n")
    assert one_line(cancelled) == "policy-x: psycopg.errors.UndefinedFunction: function no_such_function() does not exist"
    # The engine's summary may list the program's diagnostics (its calls cut short once the engine stopped) before
    # the failed provider's: the provider's exception is still the reason (a CI run read the program's).
    program_first = RuntimeError(
        " +  pulumi-python:dynamic/schedkit:Policy policy-x **creating failed** error: Traceback:\n"
        "Diagnostics:\n  pulumi:pulumi:Stack (scheduler-kit-review):\n    error: update failed\n\n"
        "    grpc._channel._InactiveRpcError: <_InactiveRpcError of RPC that terminated with:\n"
        "    pulumi.errors.RunError: Resource monitor has terminated, shutting down\n    KeyboardInterrupt\n\n"
        "  pulumi-python:dynamic/schedkit:Policy (policy-x):\n    error: Traceback (most recent call last):\n"
        "    psycopg.errors.UndefinedFunction: function no_such_function() does not exist\n")
    assert one_line(program_first) == "policy-x: psycopg.errors.UndefinedFunction: function no_such_function() does not exist"
    assert one_line(RuntimeError("something\nbroke here\n")) == "broke here"
    program = RuntimeError("error: Program failed with an unhandled exception:\n  File x, line 3\n"
                           "    yaml.scanner.ScannerError: mapping values are not allowed here\n")
    assert one_line(program) == "yaml.scanner.ScannerError: mapping values are not allowed here"


def test_the_workflow_posts_the_review_attaches_the_head_matrix_and_fails_on_undeclared_access():
    import yaml

    from tests.support.toolchain import ROOT

    workflow = yaml.safe_load((ROOT / ".github/workflows/pull-request.yml").read_text())
    steps = {step.get("name"): step for step in workflow["jobs"]["check"]["steps"]}
    names = list(steps)
    review = next(s for n, s in steps.items() if n and n.startswith("Access review"))
    assert "python -m scheduler_kit.access_review --base \"origin/${{ github.base_ref }}\"" in review["run"]
    assert 'echo "status=$status" >> "$GITHUB_OUTPUT"' in review["run"] and review["id"] == "review"
    artifact = steps["Attach the access review and the head's access matrix"]
    assert "build/review/*/head/access-matrix.*" in artifact["with"]["path"] and "build/review/review.md" in artifact["with"]["path"]
    post = steps["Post or update the review comment"]
    assert f"review='{MARKER}'" in post["run"] and "review-comment.md" in post["run"] and "always()" in post["if"]
    fail = steps["Fail on access the matrix file does not declare"]
    assert fail["if"] == "always() && steps.review.outputs.status == '1'" and "exit 1" in fail["run"]
    assert names.index("Post or update the review comment") < names.index("Fail on access the matrix file does not declare")
    assert "toolchain/chromium.sh" in steps["A headless Chromium (the access matrix page's browser test)"]["run"]
