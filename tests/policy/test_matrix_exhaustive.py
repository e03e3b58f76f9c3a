"""Every cell of the access matrix, enumerated, for every token shape of its actor: no row of it depends on luck.
Allowed cells are checked as hard as denied ones: `rows` means every row, so an admin who can no longer read one
job's history, or a policy that leaks only failed executions, fails here too."""

from __future__ import annotations

import psycopg

from tests.policy.harness import VARIANTS, outcome_of


def test_the_matrix_covers_every_column_of_both_tables(seeded, cells):
    for table in ("job_schedules", "scheduled_jobs"):
        columns = {r[0] for r in seeded.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            (f"public.{table}",))}
        in_matrix = {c.column for c in cells if c.object == table and c.operation == "UPDATE"}
        assert columns == in_matrix, f"{table}: columns without a matrix row: {columns - in_matrix}"


def test_actors_log_in_like_postgrest(actor_dsn):
    """authenticator: a login role that is not a superuser, does not inherit, and holds nothing of its own."""
    with psycopg.connect(actor_dsn) as conn:
        row = conn.execute("SELECT r.rolname, r.rolsuper, r.rolinherit, r.rolbypassrls FROM pg_roles r"
                           " WHERE r.rolname = session_user").fetchone()
        switchable = {r[0] for r in conn.execute(
            "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
            " WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = session_user)")}
    assert row[1:] == (False, False, False), row
    assert {"anon", "authenticated", "service_role"} <= switchable, switchable


def test_every_cell(seeded, known, gateway, tokens, cells):
    wrong = []
    for cell in cells:
        for variant in VARIANTS[cell.actor]:
            outcome = outcome_of(seeded, gateway, tokens, cell, variant, known)
            if outcome != cell.expected:
                wrong.append(f"{cell.label} ({variant}): expected {cell.expected}, got {outcome}")
    assert not wrong, f"{len(wrong)} cells differ from the matrix:\n" + "\n".join(wrong)
