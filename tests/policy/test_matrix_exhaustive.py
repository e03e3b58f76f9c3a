"""Every cell of the access matrix, enumerated: no row of it depends on luck. Allowed cells are checked as hard as
denied ones (an admin who can no longer read history or disable a job fails here too)."""

from __future__ import annotations

from tests.policy.harness import VARIANTS, load_matrix, run, statement, token_for

CELLS = load_matrix()


def test_the_matrix_covers_every_column_of_both_tables(seeded):
    for table in ("job_schedules", "scheduled_jobs"):
        columns = {r[0] for r in seeded.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            (f"public.{table}",))}
        in_matrix = {c.column for c in CELLS if c.object == table and c.operation == "UPDATE"}
        assert columns == in_matrix, f"{table}: columns without a matrix row: {columns - in_matrix}"


def test_every_cell(seeded, gateway, tokens):
    wrong = []
    for cell in CELLS:
        for variant in VARIANTS.get(cell.actor, [""]):
            sql, params = statement(cell)
            outcome = run(seeded, gateway, token_for(cell.actor, tokens, variant), sql, params)
            if outcome != cell.expected:
                wrong.append(f"{cell.label} ({variant or 'plain'}): expected {cell.expected}, got {outcome}")
    assert not wrong, "\n".join(wrong)
