"""Upgrading a database whose statistics trigger is the kit's earlier one (row-level, no transition tables) while the
scheduler keeps writing history: applied in the deployment's order (the function, then each trigger resource, each
in its own transaction, with pauses between them as in a real `up`), no write fails, and from then on each finished
execution counts once. Without the function re-creating its triggers in its own transaction, the writes that came
between the two failed ("relation new_rows does not exist")."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psycopg

from tests.support.model_db import model_database
from tests.support.plan import kit_plan

LEGACY = Path(__file__).with_name("legacy_statistics.sql")
STATISTICS_TRIGGERS = ("trigger_update_job_stats", "trigger_update_job_stats_on_update",
                       "trigger_update_job_stats_on_delete")
JOBS = ("upgrade-a", "upgrade-b")


def write_until(dsn: str, stop: threading.Event, failures: list, index: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET ROLE service_role")
        while not stop.is_set():
            try:
                (execution,) = conn.execute("INSERT INTO public.scheduled_jobs (job_name) VALUES (%s) RETURNING id",
                                            (JOBS[index % 2],)).fetchone()
                conn.execute("UPDATE public.scheduled_jobs SET status = 'completed', completed_at = now(),"
                             " duration_ms = 3 WHERE id = %s", (execution,))
            except psycopg.Error as failure:
                failures.append(f"{type(failure).__name__}: {failure}".splitlines()[0])


def total_runs(conn: psycopg.Connection) -> int:
    return conn.execute("SELECT sum(total_runs) FROM public.job_schedules WHERE job_name = ANY(%s)",
                        (list(JOBS),)).fetchone()[0]


def test_history_writes_never_fail_while_the_statistics_are_upgraded(cluster):
    plan = {item.key: item for item in kit_plan()}
    steps = [plan["function-public.update_job_schedule_stats"], *(plan[f"trigger-{t}"] for t in STATISTICS_TRIGGERS)]
    with model_database(cluster) as dsn:
        with psycopg.connect(dsn, autocommit=True) as owner:
            for job in JOBS:
                owner.execute("INSERT INTO public.job_schedules (job_name, cron_expression, service, endpoint)"
                              " VALUES (%s, '* * * * *', 'svc', '/x')", (job,))
            for trigger in STATISTICS_TRIGGERS:  # the database as the earlier kit left it
                owner.execute(f"DROP TRIGGER {trigger} ON public.scheduled_jobs")
            owner.execute(LEGACY.read_text())
            before = total_runs(owner)

        stop, failures = threading.Event(), []
        writers = [threading.Thread(target=write_until, args=(dsn, stop, failures, i)) for i in range(4)]
        for writer in writers:
            writer.start()
        try:
            time.sleep(0.5)
            for step in steps:  # what `pulumi up` does, resource by resource
                with psycopg.connect(dsn) as conn, conn.cursor() as cur:
                    step.kind.provider_type().apply(cur, step.inputs)
                time.sleep(0.5)
        finally:
            stop.set()
            for writer in writers:
                writer.join()
        assert failures == [], f"{len(failures)} history writes failed during the upgrade, first: {failures[0]}"

        with psycopg.connect(dsn, autocommit=True) as conn:
            written = total_runs(conn) - before
            assert written > 0  # the writers did write through the upgrade
            conn.execute("SET ROLE service_role")
            after_upgrade = total_runs(conn)
            conn.execute("INSERT INTO public.scheduled_jobs (job_name, status, completed_at, duration_ms)"
                         " SELECT %s, 'completed', now(), 1 FROM generate_series(1, 7)", (JOBS[0],))
            (execution,) = conn.execute("INSERT INTO public.scheduled_jobs (job_name) VALUES (%s) RETURNING id",
                                        (JOBS[1],)).fetchone()
            conn.execute("UPDATE public.scheduled_jobs SET status = 'failed', completed_at = now() WHERE id = %s",
                         (execution,))
            conn.execute("UPDATE public.scheduled_jobs SET status = 'completed' WHERE id = %s", (execution,))
            assert total_runs(conn) == after_upgrade + 8  # 7 in one statement, 1 finished then corrected
