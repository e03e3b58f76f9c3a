"""The first `pulumi up` onto the users' database while the scheduler service keeps writing history, as it does in
production: each writer inserts a running execution and then finishes it, as service_role. The deployment converts
the tables, replaces the seed's trigger and takes the statistics over from the history; no write fails, no execution
written before, during or after it is lost or counted twice: afterwards every job's counters equal its history and
the statistics function equals an exact computation from the history."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from tests.adoption.legacy_db import history_fingerprint, legacy_database
from tests.support.deploy import stack_for
from tests.support.exact_stats import stats_mismatches

pytestmark = pytest.mark.slow

COUNTERS = """
SELECT s.job_name, s.total_runs, s.successful_runs, s.failed_runs,
       count(j.*) FILTER (WHERE j.status IN ('completed', 'failed')),
       count(j.*) FILTER (WHERE j.status = 'completed'), count(j.*) FILTER (WHERE j.status = 'failed')
  FROM public.job_schedules s LEFT JOIN public.scheduled_jobs j ON j.job_name = s.job_name
 GROUP BY 1, 2, 3, 4 ORDER BY 1
"""


def write_until(dsn: str, jobs: list[str], stop: threading.Event, failures: list, written: list, index: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET ROLE service_role")
        n = 0
        while not stop.is_set():
            job = jobs[(index + n) % len(jobs)]
            n += 1
            try:
                (execution,) = conn.execute("INSERT INTO public.scheduled_jobs (job_name, status, started_at)"
                                            " VALUES (%s, 'running', now()) RETURNING id", (job,)).fetchone()
                conn.execute("UPDATE public.scheduled_jobs SET status = %s, completed_at = now(), duration_ms = %s"
                             " WHERE id = %s", ("completed" if n % 5 else "failed", 3 + n % 40, execution))
                written.append(execution)
            except psycopg.Error as failure:
                failures.append(f"{type(failure).__name__}: {failure}".splitlines()[0])


@pytest.mark.parametrize("profile", ["postgres", "supabase"])
def test_adoption_with_live_writers_loses_and_double_counts_nothing(profile, cluster, supabase_cluster):
    target = supabase_cluster if profile == "supabase" else cluster
    with legacy_database(target, executions=3_000) as legacy:
        with psycopg.connect(legacy.dsn) as conn:
            jobs = [r[0] for r in conn.execute("SELECT job_name FROM public.job_schedules ORDER BY 1")]
            count_before, _ = history_fingerprint(conn)
        stack = stack_for(target, legacy.name)
        stop, failures, written = threading.Event(), [], []
        writers = [threading.Thread(target=write_until, args=(legacy.dsn, jobs, stop, failures, written, i))
                   for i in range(3)]
        for writer in writers:
            writer.start()
        try:
            time.sleep(0.5)
            stack.up()
            time.sleep(0.5)
        finally:
            stop.set()
            for writer in writers:
                writer.join()
        try:
            assert failures == [], f"{len(failures)} history writes failed during the adoption, first: {failures[0]}"
            assert len(written) > 0
            with psycopg.connect(legacy.dsn) as conn:
                count_after, _ = history_fingerprint(conn)
                assert count_after == count_before + len(written)  # every write kept, nothing else added or removed
                wrong = [row for row in conn.execute(COUNTERS) if tuple(row[1:4]) != tuple(row[4:7])]
                assert wrong == [], f"counters that differ from the history (job, stored x3, history x3): {wrong}"
                conn.execute("SET ROLE service_role")
                assert stats_mismatches(conn, None, None) == []
        finally:
            stack.remove()  # the state only: the database goes with the test bed
