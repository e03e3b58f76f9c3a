"""Several connections finish executions of the same and of different jobs at once: the counters end exact, and
nothing deadlocks (each execution's two transactions touch one job row, in one order)."""

from __future__ import annotations

import random
import threading

import psycopg
import pytest

from tests.support.model_db import model_database

WORKERS, PER_WORKER = 6, 120
JOBS = ("shared-a", "shared-b", "own-0", "own-1", "own-2")


@pytest.fixture(scope="module")
def dsn(cluster):
    with model_database(cluster) as dsn:
        with psycopg.connect(dsn, autocommit=True) as conn:
            for job in JOBS:
                conn.execute("INSERT INTO public.job_schedules (job_name, cron_expression, service, endpoint)"
                             " VALUES (%s, '* * * * *', 'svc', '/x')", (job,))
        yield dsn


def test_concurrent_completions_count_exactly(dsn):
    expected = {job: [0, 0] for job in JOBS}  # completed, failed
    lock = threading.Lock()
    failures: list[BaseException] = []

    def worker(index: int) -> None:
        rng = random.Random(index)
        try:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute("SET ROLE service_role")
                for _ in range(PER_WORKER):
                    job = rng.choice(("shared-a", "shared-b", f"own-{index % 3}"))
                    status = rng.choice(("completed", "completed", "failed"))
                    (execution,) = conn.execute("INSERT INTO public.scheduled_jobs (job_name) VALUES (%s) RETURNING id",
                                                (job,)).fetchone()
                    conn.execute("UPDATE public.scheduled_jobs SET status = %s, completed_at = now(), duration_ms = 1"
                                 " WHERE id = %s", (status, execution))
                    if rng.random() < 0.2:  # a correction racing with other completions
                        status = "failed" if status == "completed" else "completed"
                        conn.execute("UPDATE public.scheduled_jobs SET status = %s WHERE id = %s", (status, execution))
                    with lock:
                        expected[job][0 if status == "completed" else 1] += 1
        except BaseException as exc:  # a deadlock or serialization failure would land here
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures[:3]
    with psycopg.connect(dsn) as conn:
        actual = {r[0]: [r[1], r[2], r[3]] for r in conn.execute(
            "SELECT job_name, successful_runs, failed_runs, total_runs FROM public.job_schedules")}
    for job, (ok, failed) in expected.items():
        assert actual[job] == [ok, failed, ok + failed], job
    assert sum(a[2] for a in actual.values()) == WORKERS * PER_WORKER
