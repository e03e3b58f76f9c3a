"""`make bench`, database part: RLS overhead, trigger overhead and concurrency on 1,000,000 history rows.

Prints ratios measured side by side in one run (medians of interleaved repetitions), and the seed's design measured
the same way for comparison. Run: `make bench` (or BENCH_ROWS=100000 make bench for a quick look).
"""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg

from scheduler_kit.gateway import Gateway
from tests.support.tokens import TokenFactory

from .common import bench_database, side_by_side, timed, verdict

ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
JOBS = 20
REPETITIONS = int(os.environ.get("BENCH_REPETITIONS", "7"))
SEED_OVERLAY = (Path(__file__).resolve().parents[1] / "tests/seed_design/seed_overlay.sql").read_text()

LOAD = """
INSERT INTO public.job_schedules (job_name, cron_expression, service, endpoint)
SELECT 'bench-job-' || j, '*/5 * * * *', 'bench-service', '/api/jobs/bench-' || j FROM generate_series(1, %(jobs)s) j;
SET session_replication_role = replica;  -- load history without firing the statistics trigger, then total it once
INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at, duration_ms, items_processed)
SELECT 'bench-job-' || (1 + i %% %(jobs)s),
       CASE WHEN i %% 10 = 0 THEN 'failed' ELSE 'completed' END,
       timestamptz '2025-01-01' + i * interval '30 seconds',
       timestamptz '2025-01-01' + i * interval '30 seconds' + interval '2 seconds',
       1000 + i %% 5000, i %% 300
FROM generate_series(1, %(rows)s) i;
SET session_replication_role = origin;
UPDATE public.job_schedules s SET total_runs = a.n, successful_runs = a.ok, failed_runs = a.n - a.ok,
       last_run_at = a.last_at
  FROM (SELECT job_name, count(*) n, count(*) FILTER (WHERE status = 'completed') ok, max(completed_at) last_at
          FROM public.scheduled_jobs GROUP BY job_name) a
 WHERE a.job_name = s.job_name;
INSERT INTO public.users (clerk_user_id, role) VALUES ('user_admin', 'admin');
"""


def run_query(conn, gateway, token, query, params=(), seed_design=False):
    """Seconds for the query as the token's actor (on the seed's policies when asked, in a rolled-back transaction).
    It runs once untimed first, so that neither side of a pair pays for pages the measure before it pushed out of
    the cache."""
    with conn.transaction(force_rollback=True):
        if seed_design:
            conn.execute(SEED_OVERLAY)
        with conn.cursor() as cur:
            gateway.assume(cur, token)
            cur.execute(query, params)
            cur.fetchall()
            start = time.perf_counter()
            cur.execute(query, params)
            cur.fetchall()
            return time.perf_counter() - start


def write_executions(dsn: str, count: int, job: str) -> float:
    """The service's way: insert running, then update to completed, each its own transaction."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")  # measure the trigger, not the disk's fsync latency
        conn.execute("SET ROLE service_role")
        start = time.perf_counter()
        for _ in range(count):
            (execution,) = conn.execute(
                "INSERT INTO public.scheduled_jobs (job_name) VALUES (%s) RETURNING id", (job,)).fetchone()
            conn.execute("UPDATE public.scheduled_jobs SET status = 'completed', completed_at = now(),"
                         " duration_ms = 5 WHERE id = %s", (execution,))
        return time.perf_counter() - start


def set_trigger(dsn: str, enabled: bool) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"ALTER TABLE public.scheduled_jobs {'ENABLE' if enabled else 'DISABLE'} TRIGGER trigger_update_job_stats")


def concurrency(dsn: str, workers: int = 8, per_worker: int = 1000) -> tuple[float, bool, str]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        before = dict(conn.execute("SELECT job_name, total_runs FROM public.job_schedules"
                                   " WHERE job_name IN ('bench-job-1', 'bench-job-2')").fetchall())
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            write_executions(dsn, per_worker, f"bench-job-{1 + index % 2}")
        except BaseException as exc:  # a deadlock would surface here
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    with psycopg.connect(dsn, autocommit=True) as conn:
        after = dict(conn.execute("SELECT job_name, total_runs FROM public.job_schedules"
                                  " WHERE job_name IN ('bench-job-1', 'bench-job-2')").fetchall())
    expected = {job: before[job] + workers * per_worker // 2 for job in before}
    exact = not errors and after == expected
    detail = f"errors={errors[:1]} counters={after} expected={expected}"
    return workers * per_worker / elapsed, exact, detail


def main() -> None:
    tokens = TokenFactory()
    gateway = Gateway(tokens.gateway_config())
    admin, service = tokens.user("user_admin"), tokens.service()
    print(f"scheduler bench: {ROWS:,} history rows over {JOBS} jobs, medians of {REPETITIONS} interleaved repetitions")
    with bench_database() as stack:
        with psycopg.connect(stack.dsn, autocommit=True) as conn:
            # Several statements with parameters: bound on the client side.
            load = timed(lambda: psycopg.ClientCursor(conn).execute(LOAD, {"jobs": JOBS, "rows": ROWS}))
            conn.execute("VACUUM ANALYZE public.scheduled_jobs")
            conn.execute("VACUUM ANALYZE public.job_schedules")
        print(f"  loaded in {load:.1f} s")

        # One connection per actor, as a pool would keep them: each keeps its own cached plans.
        with psycopg.connect(stack.dsn) as as_admin, psycopg.connect(stack.dsn) as as_service, \
                psycopg.connect(stack.dsn) as as_seed_admin:
            count = "SELECT count(*) FROM public.scheduled_jobs"
            page = "SELECT * FROM public.get_job_execution_history('bench-job-7', 20, 0)"
            stats = "SELECT * FROM public.get_job_execution_stats(NULL, %s)"
            # The newest tenth of the history: a window a monitoring page would ask for.
            since = (datetime(2025, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=30 * ROWS * 0.9),)
            medians = side_by_side({
                "admin count": lambda: run_query(as_admin, gateway, admin, count),
                "service count": lambda: run_query(as_service, gateway, service, count),
                "admin page": lambda: run_query(as_admin, gateway, admin, page),
                "service page": lambda: run_query(as_service, gateway, service, page),
                "admin stats": lambda: run_query(as_admin, gateway, admin, stats, since),
                "service stats": lambda: run_query(as_service, gateway, service, stats, since),
            }, REPETITIONS)
            # The seed's policies, in their own phase: their DDL (rolled back) would disturb the cached plans above.
            medians.update(side_by_side({
                "seed admin count": lambda: run_query(as_seed_admin, gateway, admin, count, seed_design=True),
                "service count (again)": lambda: run_query(as_service, gateway, service, count),
            }, REPETITIONS))
        for name, seconds in medians.items():
            print(f"    {name:<18} {seconds * 1000:9.2f} ms")
        print(f"  admin count(*) / service_role:        {verdict(medians['admin count'] / medians['service count'], 1.10)}")
        print(f"  seed's admin count(*) / service_role: {medians['seed admin count'] / medians['service count (again)']:5.2f}"
              "  (the seed's policies, for comparison)")
        print(f"  admin history page / service_role:    {verdict(medians['admin page'] / medians['service page'], 1.10)}")
        print(f"  admin stats function / service_role:  {verdict(medians['admin stats'] / medians['service stats'], 1.10)}")

        batch = 1000
        on_off = {"on": 0.0, "off": 0.0}
        write_executions(stack.dsn, 200, "bench-job-3")  # warm up
        for _ in range(5):  # 5 x 1,000 executions each way, interleaved
            for state in ("on", "off"):
                set_trigger(stack.dsn, state == "on")
                on_off[state] += write_executions(stack.dsn, batch, "bench-job-3")
        set_trigger(stack.dsn, True)
        print(f"  5,000 executions written, trigger on {on_off['on']:.2f} s / off {on_off['off']:.2f} s:"
              f" {verdict(on_off['on'] / on_off['off'], 1.25)}")

        throughput, exact, detail = concurrency(stack.dsn)
        print(f"  8 connections x 1,000 executions over 2 jobs: {throughput:,.0f} executions/s,"
              f" counters {'exact, no deadlock' if exact else 'WRONG: ' + detail}")


if __name__ == "__main__":
    main()
