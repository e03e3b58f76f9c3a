"""make validate lists a file's problems in file order: line, then column; problems without a position last."""

import re

from scheduler_kit import jobs_cli
from scheduler_kit.jobs_file import JobsFileError, Problem, in_file_order, validate_text

# Five problems that the validator finds in an order unrelated to their lines (it used to print them as
# 4:14, 2:5, 5:5, 3:11, 2:11): a boolean spelled yes, a missing field, an unknown one, a bad cron, a bad name.
BROKEN = """jobs:
  - name: Bad Name
    cron: "61 * * * *"
    enabled: yes
    colour: red
    endpoint: /api/jobs/x
"""


def positions(lines: list[str]) -> list[tuple[int, int]]:
    return [(int(m.group(1)), int(m.group(2))) for m in (re.search(r":(\d+):(\d+): ", line) for line in lines) if m]


def test_make_validate_prints_the_problems_by_line_then_column(tmp_path, capsys):
    path = tmp_path / "jobs.yaml"
    path.write_text(BROKEN)
    assert jobs_cli.main(["validate", str(path)]) == 1
    printed = capsys.readouterr().err.splitlines()[1:]
    found = positions(printed)
    assert len(found) == len(printed) >= 5, printed
    assert found == sorted(found), printed
    assert found[0] == (2, 5) and (2, 11) in found and found[-1] == (5, 5), printed


def test_the_error_itself_holds_them_in_file_order():
    try:
        validate_text(BROKEN)
    except JobsFileError as error:
        found = [(p.line, p.column) for p in error.problems]
    else:
        raise AssertionError("the broken document was accepted")
    assert found == sorted(found) and len(found) >= 5


def test_problems_without_a_position_come_last_and_equal_positions_keep_their_order():
    def problem(line, column, where):
        return Problem("jobs.yaml", line, column, where, "m")
    found = [problem(None, None, "a"), problem(3, 1, "b"), problem(1, 9, "c"), problem(0, 0, "d"),
             problem(1, 9, "e"), problem(1, 2, "f")]
    assert [p.where for p in in_file_order(found)] == ["f", "c", "e", "b", "a", "d"]
