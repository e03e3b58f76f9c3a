"""The access matrix file (tests/access_matrix.yaml) is edited by reviewers: a malformed one is refused with the
file, the row and the fix, by every reader of it (the policy tests, the review, `make matrix`, the pgTAP suite)."""

import pytest

from scheduler_kit import access_matrix, pgtap
from scheduler_kit.access.cells import MATRIX_PATH, MatrixFileError, load_matrix, read_matrix

HEADER = "actors: [service, admin]\n"
LOOKUP = "admin_lookup:\n  postgres:\n    SELECT: [rows, zero]\n  supabase:\n    SELECT: [rows, zero]\n"
FUNCTIONS = "functions:\n  f:\n    EXECUTE: [rows, denied]\n"
TABLES = "tables:\n  t:\n    SELECT: [rows, zero]\n    UPDATE enabled: [rows, rows]\n"


def _write(tmp_path, text: str):
    path = tmp_path / "access_matrix.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_projects_matrix_reads_and_a_small_one_gives_one_cell_per_row_and_actor(tmp_path):
    assert read_matrix(MATRIX_PATH)["actors"][0] == "service"
    path = _write(tmp_path, HEADER + TABLES + FUNCTIONS + LOOKUP)
    cells = load_matrix("postgres", path)
    assert [(c.object, c.operation, c.column, c.actor, c.expected) for c in cells] == [
        ("t", "SELECT", None, "service", "rows"), ("t", "SELECT", None, "admin", "zero"),
        ("t", "UPDATE", "enabled", "service", "rows"), ("t", "UPDATE", "enabled", "admin", "rows"),
        ("users", "SELECT", None, "service", "rows"), ("users", "SELECT", None, "admin", "zero"),
        ("f", "EXECUTE", None, "service", "rows"), ("f", "EXECUTE", None, "admin", "denied")]


@pytest.mark.parametrize("text, message", [
    (HEADER + "tables:\n  t:\n    SELECT: [rows]\n" + FUNCTIONS + LOOKUP,
     "t SELECT: 1 outcomes for 2 actors; give one per actor, in the order of `actors:` (service, admin)"),
    (HEADER + "tables:\n  t:\n    SELECT: [rows, allowed]\n" + FUNCTIONS + LOOKUP,
     "t SELECT: admin's outcome 'allowed' is not one of rows, some, zero, denied, policy, rejected, refused; "
     "write one of them (see the file's header)"),
    (HEADER + "tables:\n  t:\n    SELEKT: [rows, zero]\n" + FUNCTIONS + LOOKUP,
     "t SELEKT: not an operation on a table; write one of SELECT, INSERT, UPDATE, DELETE, TRUNCATE "
     "(UPDATE <column> for one column)"),
    (HEADER + TABLES + "functions:\n  f:\n    SELECT: [rows, denied]\n" + LOOKUP,
     "f SELECT: not an operation on a function; write one of EXECUTE"),
    (HEADER + TABLES + FUNCTIONS + "admin_lookup:\n  postgres:\n    SELECT: [rows, zero]\n",
     "admin_lookup: expected the users table's rows for each target: postgres, supabase"),
    ("actors: [service, service]\n" + TABLES + FUNCTIONS + LOOKUP,
     "actors: expected a list of distinct actor names, one per outcome column"),
    (HEADER + FUNCTIONS + LOOKUP, "tables: expected a mapping of object name to its rows"),
    (HEADER + "tables:\n  t:\n    SELECT: [rows, zero\n" + FUNCTIONS + LOOKUP, ":5:10: not valid YAML: expected ',' or ']', but got ':' (while parsing a flow sequence at line 4); fix the line"),
])
def test_a_malformed_matrix_names_the_file_the_row_and_the_fix(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(MatrixFileError) as error:
        load_matrix("postgres", path)
    assert str(error.value).startswith(str(path)) and message in str(error.value), str(error.value)


def test_the_pgtap_suite_and_make_matrix_refuse_it_the_same_way(tmp_path, capsys):
    path = _write(tmp_path, HEADER + "tables:\n  t:\n    SELECT: [rows]\n" + FUNCTIONS + LOOKUP)
    with pytest.raises(MatrixFileError, match="t SELECT: 1 outcomes for 2 actors"):
        pgtap.load_cells(path)
    # `make matrix` reads the file before it connects: one line, the error exit, whatever the database.
    status = access_matrix.main(["--authenticator-dsn", "postgresql://nobody@127.0.0.1:1/none", "--matrix", str(path)])
    assert status == access_matrix.EXIT_ERROR
    assert capsys.readouterr().err.strip() == f"access matrix: {path}: t SELECT: 1 outcomes for 2 actors; give one " \
                                             "per actor, in the order of `actors:` (service, admin)"
