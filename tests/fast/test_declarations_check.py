"""`make validate`'s second half: policies/ and the access matrix, read as the deploy and the review read them."""

from scheduler_kit.access.cells import MATRIX_PATH
from scheduler_kit.declarations_check import main
from scheduler_kit.policies import POLICY_DIR


def test_the_projects_declarations_are_valid_and_counted(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith(": 12 policies on 3 tables, valid") and out[1].endswith("actors, 57 rows (postgres), valid")


def test_a_broken_policy_file_and_a_broken_matrix_are_each_named_and_fail_it(tmp_path, capsys):
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "rls.yaml").write_text("job_schedules:\n  p:\n    command: : SELECT\n")
    matrix = tmp_path / "access_matrix.yaml"
    matrix.write_text(MATRIX_PATH.read_text().replace("actors: [service, admin,", "actors: [service,", 1))
    assert main(["--policies", str(policies), "--matrix", str(matrix)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"policies: {policies / 'rls.yaml'}:3:14: not valid YAML: mapping values are not allowed")
    assert err[1].startswith(f"access matrix: {matrix}: ") and "9 outcomes for 8 actors" in err[1]
    # Either alone fails it too.
    assert main(["--policies", str(POLICY_DIR), "--matrix", str(matrix)]) == 1
    assert main(["--policies", str(policies), "--matrix", str(MATRIX_PATH)]) == 1
