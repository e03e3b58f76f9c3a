"""Random access cases against the matrix: random actors (every kind of bad token among them), random operations
with random column values, and random extra rows in the tables. Under the `ci` profile it runs at least 10,000
cases. Each case is rolled back."""

from __future__ import annotations

from datetime import timezone

from hypothesis import HealthCheck, given, settings, strategies as st
from psycopg.types.json import Jsonb

from tests.policy.harness import BAD_TOKENS, INVALID, JOB, VARIANTS, load_matrix, run, statement, token_for
from tests.support.profile import hypothesis_profile

CELLS = load_matrix()
PROFILE = hypothesis_profile()
ACCESS_CASES = {"ci": 10_000, "debug": 50, "mutants": 300}.get(PROFILE, 1_000)

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)
times = st.datetimes(timezones=st.just(timezone.utc))
json_values = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | text,
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
                           max_leaves=6)
COLUMN_VALUES = {
    "id": st.uuids().map(str), "triggered_by_user": st.none() | st.uuids(),
    "enabled": st.booleans(),
    "total_runs": st.integers(-5, 10**9), "successful_runs": st.integers(-5, 10**9), "failed_runs": st.integers(-5, 10**9),
    "last_run_duration_ms": st.none() | st.integers(-5, 10**6), "duration_ms": st.none() | st.integers(-5, 10**6),
    "items_processed": st.none() | st.integers(-5, 10**6), "items_succeeded": st.none() | st.integers(-5, 10**6),
    "items_failed": st.none() | st.integers(-5, 10**6),
    "last_run_at": st.none() | times, "started_at": times, "completed_at": st.none() | times,
    "created_at": times, "updated_at": times, "retired_at": st.none() | times,
    "config": st.dictionaries(text, json_values, max_size=3).map(Jsonb), "metadata": json_values.map(Jsonb),
    "status": st.sampled_from(["running", "completed", "failed"]) | text,
    "last_run_status": st.none() | st.sampled_from(["completed", "failed"]) | text,
    "cron_expression": st.sampled_from(["0 9 * * 1", "*/5 * * * *", "61 * * * *", "nonsense"]) | text,
}
extra_rows = st.lists(st.tuples(st.sampled_from([JOB, "other-job"]), st.sampled_from(["running", "completed", "failed"]),
                                st.integers(0, 10**6)), max_size=3)


@settings(max_examples=ACCESS_CASES, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
          deadline=None)
@given(cell=st.sampled_from(CELLS), bad=st.sampled_from(sorted(BAD_TOKENS)), data=st.data(), rows=extra_rows)
def test_random_access_cases_follow_the_matrix(seeded, gateway, tokens, cell, bad, data, rows):
    with seeded.transaction(force_rollback=True):
        for job_name, status, ms in rows:  # random history next to the seeded rows
            seeded.execute(
                "INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at, duration_ms)"
                " VALUES (%s, %s, now() - interval '1 hour', CASE WHEN %s = 'running' THEN NULL ELSE now() END, %s)",
                (job_name, status, status, ms))
        value = data.draw(COLUMN_VALUES.get(cell.column, text)) if cell.column else None
        sql, params = statement(cell, value, use_value=cell.column is not None)
        variant = bad if cell.actor == "bad_token" else data.draw(st.sampled_from(VARIANTS.get(cell.actor, [""])))
        outcome = run(seeded, gateway, token_for(cell.actor, tokens, variant), sql, params)
    # A value the table's constraints refuse is fine only where the write itself was allowed.
    assert outcome == cell.expected or (outcome == INVALID and cell.expected == "rows"), \
        f"{cell.label} with {value!r}: expected {cell.expected}, got {outcome}"
