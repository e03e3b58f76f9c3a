"""`make bench`, database part, on 10,000,000 history rows: costs that must not grow with the history (deep keyset
pages, statistics of a large job, one-statement bulk writes), RLS overhead, trigger overhead and concurrency.

Prints ratios measured side by side in one run (medians of interleaved repetitions), and the seed's design measured
the same way for comparison. Run: `make bench` (or BENCH_ROWS=100000 make bench for a quick look).
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg

from scheduler_kit.gateway import Gateway
from tests.support.tokens import TokenFactory

from .common import bench_database, side_by_side, timed, verdict

ROWS = int(os.environ.get("BENCH_ROWS", "10000000"))
JOBS = 20
REPETITIONS = int(os.environ.get("BENCH_REPETITIONS", "7"))
PAGE_TIMES, STATS_TIMES = 50, 5  # executions per sample of the sub-millisecond and the few-millisecond reads
SEED_OVERLAY = (Path(__file__).resolve().parents[1] / "tests/seed_design/seed_overlay.sql").read_text()

START = datetime(2025, 1, 1, tzinfo=timezone.utc)
SETUP = """
INSERT INTO public.job_schedules (job_name, cron_expression, service, endpoint)
SELECT 'bench-job-' || j, '*/5 * * * *', 'bench-service', '/api/jobs/bench-' || j FROM generate_series(1, %(jobs)s) j;
INSERT INTO public.job_schedules (job_name, cron_expression, service, endpoint)
VALUES ('bench-small', '*/5 * * * *', 'bench-service', '/api/jobs/bench-small');
INSERT INTO public.users (clerk_user_id, role) VALUES ('user_admin', 'admin');
-- A job that ran for a week, a year before the others, and stopped: its pages must cost what a busy job's do.
INSERT INTO public.job_schedules (job_name, cron_expression, service, endpoint, enabled)
VALUES ('bench-retired', '*/10 * * * *', 'bench-service', '/api/jobs/bench-retired', false);
INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at, duration_ms)
SELECT 'bench-retired', 'completed', %(start)s::timestamptz - interval '1 year' + i * interval '10 minutes',
       %(start)s::timestamptz - interval '1 year' + i * interval '10 minutes' + interval '1 second', 500 + i %% 100
FROM generate_series(1, 1008) i;
"""
# History through the statistics trigger, in statements of up to a million executions (each applies one change per
# job and day): what the kit's own bulk path costs. One execution every 30 seconds, round robin over the jobs; the
# small job runs once for every 100 runs of a large one, over the same period.
LOAD_CHUNK = """
INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at, duration_ms, items_processed)
SELECT CASE WHEN i %% (100 * %(jobs)s) = 1 THEN 'bench-small' ELSE 'bench-job-' || (1 + i %% %(jobs)s) END,
       CASE WHEN i %% 10 = 0 THEN 'failed' ELSE 'completed' END,
       %(start)s::timestamptz + i * interval '30 seconds',
       %(start)s::timestamptz + i * interval '30 seconds' + interval '2 seconds',
       1000 + i %% 5000, i %% 300
FROM generate_series(%(first)s::bigint, %(last)s::bigint) i
"""
CHUNK = 1_000_000


def run_query(conn, gateway, token, query, params=(), seed_design=False, times=1):
    """Seconds for the query as the token's actor (on the seed's policies when asked, in a rolled-back transaction):
    the mean of `times` executions, so that a sub-millisecond read is measured over enough of them for one scheduler
    hiccup not to decide a ratio. It runs once untimed first, so that neither side of a pair pays for pages the
    measure before it pushed out of the cache."""
    with conn.transaction(force_rollback=True):
        if seed_design:
            conn.execute(SEED_OVERLAY)
        with conn.cursor() as cur:
            gateway.assume(cur, token())  # a fresh token: a 10,000,000-row run outlasts a token's lifetime
            cur.execute(query, params)
            cur.fetchall()
            start = time.perf_counter()
            for _ in range(times):
                cur.execute(query, params)
                cur.fetchall()
            return (time.perf_counter() - start) / times


SERVER_LOOP = """
CREATE FUNCTION pg_temp.mean_microseconds(query text, times integer) RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE started timestamptz := clock_timestamp();
BEGIN
  FOR i IN 1..times LOOP EXECUTE query; END LOOP;
  RETURN extract(epoch FROM clock_timestamp() - started) * 1e6 / times;
END $$
"""


def server_microseconds(conn, gateway, token, query, times=2000) -> float:
    """Mean server time of the query as the token's actor, without the client's round trips: what the RLS check
    adds, undiluted."""
    with conn.transaction(force_rollback=True), conn.cursor() as cur:
        cur.execute(SERVER_LOOP)
        gateway.assume(cur, token())
        cur.execute("SELECT pg_temp.mean_microseconds(%s, %s)", (query, times // 10))  # warm: plans and pages
        return cur.execute("SELECT pg_temp.mean_microseconds(%s, %s)", (query, times)).fetchone()[0]


def peak_memory_kib(pid: int) -> int:
    """Peak resident memory of a server process (VmHWM), when the server runs on this machine; 0 when unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def bulk_insert(conn, rows: int) -> float:
    """Seconds for one statement inserting `rows` finished executions of one job (rolled back)."""
    with conn.transaction(force_rollback=True):
        start = time.perf_counter()
        conn.execute("INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at, duration_ms)"
                     " SELECT 'bench-job-5', 'completed', now() - i * interval '1 second',"
                     " now() - i * interval '1 second' + interval '500 milliseconds', i %% 7000"
                     " FROM generate_series(1, %s) i", (rows,))
        return time.perf_counter() - start


def purge_batches(conn, batches: int, batch_size: int, older_than: timedelta) -> list[float]:
    """Seconds per retention batch, as the service calls it (each call its own transaction; rolled back here so the
    history stays for the other measures)."""
    seconds = []
    with conn.transaction(force_rollback=True):
        conn.execute("SET LOCAL ROLE service_role")
        for _ in range(batches):
            start = time.perf_counter()
            (deleted,) = conn.execute("SELECT public.purge_job_execution_history(%s, %s)", (older_than, batch_size)).fetchone()
            seconds.append(time.perf_counter() - start)
            assert deleted == batch_size, deleted
    return seconds


def cpu_seconds(pid: int) -> float:
    """CPU time a server process has used (user + system), when the server runs on this machine; 0 when unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def write_executions(dsn: str, count: int, job: str, cpu: list[float] | None = None) -> float:
    """The service's way: insert running, then update to completed, each its own transaction. Adds the server
    process's CPU seconds to `cpu` when given (less disturbed than wall time by other load on a shared machine)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")  # measure the trigger, not the disk's fsync latency
        conn.execute("SET ROLE service_role")
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        used = cpu_seconds(backend)
        start = time.perf_counter()
        for _ in range(count):
            (execution,) = conn.execute(
                "INSERT INTO public.scheduled_jobs (job_name) VALUES (%s) RETURNING id", (job,)).fetchone()
            conn.execute("UPDATE public.scheduled_jobs SET status = 'completed', completed_at = now(),"
                         " duration_ms = 5 WHERE id = %s", (execution,))
        elapsed = time.perf_counter() - start
        if cpu is not None:
            cpu.append(cpu_seconds(backend) - used)
        return elapsed


STATS_TRIGGERS = ("trigger_update_job_stats", "trigger_update_job_stats_on_update", "trigger_update_job_stats_on_delete")


def set_trigger(dsn: str, enabled: bool) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for trigger in STATS_TRIGGERS:
            conn.execute(f"ALTER TABLE public.scheduled_jobs {'ENABLE' if enabled else 'DISABLE'} TRIGGER {trigger}")


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
    admin, service = (lambda: tokens.user("user_admin")), tokens.service
    print(f"scheduler bench: {ROWS:,} history rows over {JOBS} jobs, medians of {REPETITIONS} interleaved repetitions")
    with bench_database() as stack:
        with psycopg.connect(stack.dsn, autocommit=True) as conn:
            backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
            # Several statements with parameters: bound on the client side.
            psycopg.ClientCursor(conn).execute(SETUP, {"jobs": JOBS, "start": START})
            start = time.perf_counter()
            for first in range(1, ROWS + 1, CHUNK):
                conn.execute(LOAD_CHUNK, {"jobs": JOBS, "start": START, "first": first, "last": min(first + CHUNK - 1, ROWS)})
            load = time.perf_counter() - start
            peak = peak_memory_kib(backend)
            vacuum = timed(lambda: [conn.execute(f"VACUUM ANALYZE public.{t}")
                                    for t in ("scheduled_jobs", "job_schedules", "job_execution_rollups")])
            exact = conn.execute(
                "SELECT bool_and(s.total_runs = h.n) FROM public.job_schedules s JOIN (SELECT job_name, count(*) n"
                " FROM public.scheduled_jobs GROUP BY job_name) h USING (job_name)").fetchone()[0]
        print(f"  loaded {ROWS:,} executions through the statistics trigger in {load:.1f} s"
              f" ({ROWS / load:,.0f} per second; peak memory of the loading server process {peak / 1024:,.0f} MiB;"
              f" VACUUM ANALYZE {vacuum:.1f} s); counters {'exact' if exact else 'WRONG'}")

        # One connection per actor, as a pool would keep them: each keeps its own cached plans.
        with psycopg.connect(stack.dsn) as as_admin, psycopg.connect(stack.dsn) as as_service, \
                psycopg.connect(stack.dsn) as as_seed_admin:
            count = "SELECT count(*) FROM public.scheduled_jobs"
            page = "SELECT * FROM public.get_job_execution_history('bench-job-7', 20, 0)"
            stats = "SELECT * FROM public.get_job_execution_stats(NULL, %s)"
            # The newest tenth of the history: a window a monitoring page would ask for.
            since = (START + timedelta(seconds=30 * ROWS * 0.9),)
            medians = side_by_side({
                "admin count": lambda: run_query(as_admin, gateway, admin, count),
                "service count": lambda: run_query(as_service, gateway, service, count),
                "admin page": lambda: run_query(as_admin, gateway, admin, page, times=PAGE_TIMES),
                "service page": lambda: run_query(as_service, gateway, service, page, times=PAGE_TIMES),
                "admin stats": lambda: run_query(as_admin, gateway, admin, stats, since, times=STATS_TIMES),
                "service stats": lambda: run_query(as_service, gateway, service, stats, since, times=STATS_TIMES),
            }, REPETITIONS)
            server_page = {"admin": server_microseconds(as_admin, gateway, admin, page.replace("SELECT *", "SELECT count(*)")),
                           "service": server_microseconds(as_service, gateway, service, page.replace("SELECT *", "SELECT count(*)"))}
            # The seed's policies, in their own phase: their DDL (rolled back) would disturb the cached plans above.
            medians.update(side_by_side({
                "seed admin count": lambda: run_query(as_seed_admin, gateway, admin, count, seed_design=True),
                "service count (again)": lambda: run_query(as_service, gateway, service, count),
            }, REPETITIONS))

            # Costs that must not grow with the history, as an admin (through RLS).
            (big_job_rows,) = as_admin.execute(
                "SELECT count(*) FROM public.scheduled_jobs WHERE job_name = 'bench-job-7'").fetchone()
            depth = int(big_job_rows * 0.9)
            cursor = as_admin.execute(
                "SELECT started_at, id FROM public.scheduled_jobs WHERE job_name = 'bench-job-7'"
                " ORDER BY started_at DESC, id DESC OFFSET %s LIMIT 1", (depth,)).fetchone()
            as_admin.rollback()
            first_keyset = "SELECT * FROM public.get_job_execution_history_page('bench-job-7', 20, NULL, NULL)"
            retired_page = "SELECT * FROM public.get_job_execution_history_page('bench-retired', 20, NULL, NULL)"
            deep_keyset = "SELECT * FROM public.get_job_execution_history_page('bench-job-7', 20, %s, %s)"
            deep_offset = "SELECT * FROM public.get_job_execution_history('bench-job-7', 20, %s)"
            offset_depth = min(49_000, depth)
            job_stats = "SELECT * FROM public.get_job_execution_stats(%s, %s)"
            whole = START + timedelta(minutes=90)  # all of the history but the first 90 minutes: rollups and an edge
            (small_job_rows,) = as_admin.execute(
                "SELECT count(*) FROM public.scheduled_jobs WHERE job_name = 'bench-small'").fetchone()
            as_admin.rollback()
            medians.update(side_by_side({
                "first keyset page": lambda: run_query(as_admin, gateway, admin, first_keyset, times=PAGE_TIMES),
                "deep keyset page": lambda: run_query(as_admin, gateway, admin, deep_keyset, cursor, times=PAGE_TIMES),
                "retired job page": lambda: run_query(as_admin, gateway, admin, retired_page, times=PAGE_TIMES),
                "first offset page": lambda: run_query(as_admin, gateway, admin, page, times=PAGE_TIMES),
                "deep offset page": lambda: run_query(as_admin, gateway, admin, deep_offset, (offset_depth,)),
                "large job stats": lambda: run_query(as_admin, gateway, admin, job_stats, ("bench-job-7", whole),
                                                     times=STATS_TIMES),
                "small job stats": lambda: run_query(as_admin, gateway, admin, job_stats, ("bench-small", whole),
                                                     times=STATS_TIMES),
                "retired job stats": lambda: run_query(as_admin, gateway, admin, job_stats, ("bench-retired", None),
                                                       times=STATS_TIMES),
            }, REPETITIONS))
            with psycopg.connect(stack.dsn) as writer:
                writer.execute("SET synchronous_commit = off")
                bulk_insert(writer, 4000)  # warm up
                medians.update(side_by_side({
                    "insert 4,000": lambda: bulk_insert(writer, 4000),
                    "insert 16,000": lambda: bulk_insert(writer, 16000),
                }, REPETITIONS))
                # The oldest month is what a retention run would delete (rolled back afterwards).
                older_than = datetime.now(timezone.utc) - (START + timedelta(days=30))
                (purgeable,) = writer.execute("SELECT count(*) FROM public.scheduled_jobs WHERE started_at < %s",
                                              (START + timedelta(days=30),)).fetchone()
                purge = purge_batches(writer, max(1, min(10, purgeable // 5000)), min(5000, purgeable), older_than)
        for name, seconds in medians.items():
            print(f"    {name:<22} {seconds * 1000:9.2f} ms")
        print(f"  admin count(*) / service_role:        {verdict(medians['admin count'] / medians['service count'], 1.10)}")
        print(f"  seed's admin count(*) / service_role: {medians['seed admin count'] / medians['service count (again)']:5.2f}"
              "  (the seed's policies, for comparison)")
        print(f"  admin history page / service_role:    {verdict(medians['admin page'] / medians['service page'], 1.10)}")
        print(f"  admin stats function / service_role:  {verdict(medians['admin stats'] / medians['service stats'], 1.10)}")
        print(f"    (the page on the server alone, no round trip: admin {server_page['admin']:.0f} us / service_role"
              f" {server_page['service']:.0f} us = {server_page['admin'] / server_page['service']:.2f}; the admin check"
              f" is a fixed {server_page['admin'] - server_page['service']:.0f} us a statement)")
        print(f"  keyset page {depth:,} rows deep / first page: "
              f"{verdict(medians['deep keyset page'] / medians['first keyset page'], 1.5)}")
        print(f"  first page of a job that stopped a year before the history / of a busy job: "
              f"{verdict(medians['retired job page'] / medians['first keyset page'], 1.5)}")
        print(f"  statistics of that job's whole history / of the small job's: "
              f"{verdict(medians['retired job stats'] / medians['small job stats'], 2.0)}")
        print(f"  (limit, offset) page at offset {offset_depth:,} / first page: "
              f"{medians['deep offset page'] / medians['first offset page']:5.2f}  (the seed's form, for comparison)")
        print(f"  stats of a job with {big_job_rows:,} executions / one with {small_job_rows:,}, same period: "
              f"{verdict(medians['large job stats'] / medians['small job stats'], 2.0)}")
        print(f"  one statement inserting 16,000 / 4,000 executions: "
              f"{verdict(medians['insert 16,000'] / medians['insert 4,000'], 5.0)}  (linear is 4)")
        print(f"  retention, {len(purge)} batches of {min(5000, purgeable):,}: median {statistics.median(purge) * 1000:.0f} ms,"
              f" longest {max(purge) * 1000:.0f} ms ({min(5000, purgeable) / statistics.median(purge):,.0f} executions"
              " per second)")

        batch = 1000
        on_off = {"on": 0.0, "off": 0.0}
        on_off_cpu: dict[str, list[float]] = {"on": [], "off": []}
        write_executions(stack.dsn, 200, "bench-job-3")  # warm up
        for _ in range(5):  # 5 x 1,000 executions each way, interleaved
            for state in ("on", "off"):
                set_trigger(stack.dsn, state == "on")
                on_off[state] += write_executions(stack.dsn, batch, "bench-job-3", on_off_cpu[state])
        set_trigger(stack.dsn, True)
        cpu_on, cpu_off = sum(on_off_cpu["on"]), sum(on_off_cpu["off"])
        print(f"  5,000 executions written, trigger on {on_off['on']:.2f} s / off {on_off['off']:.2f} s:"
              f" {verdict(on_off['on'] / on_off['off'], 1.25)}"
              + (f"; server CPU on {cpu_on:.2f} s / off {cpu_off:.2f} s: {cpu_on / cpu_off:.2f}" if cpu_off else ""))

        throughput, exact, detail = concurrency(stack.dsn)
        print(f"  8 connections x 1,000 executions over 2 jobs: {throughput:,.0f} executions/s,"
              f" counters {'exact, no deadlock' if exact else 'WRONG: ' + detail}")


if __name__ == "__main__":
    main()
