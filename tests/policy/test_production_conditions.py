"""The history as production has it: more than a year old, written by sessions in any time zone and DateStyle and
with a hostile search_path, and read and purged while other sessions hold locks.

- Writers' sessions vary TimeZone (from UTC-11 to UTC+14, half and quarter hours, DST), DateStyle and search_path
  (pg_temp first, holding look-alike tables of the kit's): the rollups stay exact per UTC day, and the statistics
  equal the exact computation from the history for windows reaching back over a year, for a reader in another zone.
- A second connection holds locks: retention skips the rows it holds instead of waiting (FOR UPDATE SKIP LOCKED) and
  removes the rest; a service write that has to wait for a job row locked by an admin's change waits, then counts
  once; one that gives up (lock_timeout) leaves nothing half-written. Every wait is bounded by lock_timeout and
  statement_timeout, so a regression fails instead of hanging."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.policy.harness import ADMIN_SUB
from tests.policy.pool import seeded_pool
from tests.support.exact_stats import rollup_mismatches, stats_mismatches
from tests.support.profile import hypothesis_profile

JOBS = ("prod-a", "prod-b")
CASES = {"ci": 40, "debug": 5, "mutants": 15}.get(hypothesis_profile(), 25)
ZONES = ["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kathmandu", "America/St_Johns", "Europe/Berlin",
         "Australia/Lord_Howe", "America/Los_Angeles", "<+0530>-05:30"]
DATE_STYLES = ["ISO, MDY", "SQL, DMY", "German", "Postgres, YMD"]
TODAY = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)

# One execution: its job, how many days old, the local minute of its day (near midnight on purpose: that is where a
# session's zone moves it to another day), status and duration.
executions = st.lists(st.tuples(st.sampled_from(JOBS), st.integers(0, 500), st.integers(-90, 90),
                                st.sampled_from(["running", "completed", "failed"]), st.integers(0, 10**6)),
                      min_size=1, max_size=6)
writer = st.tuples(st.sampled_from(ZONES), st.sampled_from(DATE_STYLES), st.booleans())
batches = st.lists(st.tuples(writer, executions, st.booleans()), min_size=1, max_size=4)


def as_writer(conn, zone, style, hostile):
    conn.execute("SELECT set_config('TimeZone', %s, true), set_config('DateStyle', %s, true)", (zone, style))
    if hostile:  # look-alikes of the kit's tables first on the path: a name left unqualified would write there
        for table in ("job_schedules", "scheduled_jobs", "job_execution_rollups"):
            conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} (LIKE public.{table}) ON COMMIT DROP")
        conn.execute("SELECT set_config('search_path', 'pg_temp, public', true)")
    else:
        conn.execute("SELECT set_config('search_path', '\"$user\", public', true)")


@pytest.fixture
def service(seeded):
    seeded.execute("SET ROLE service_role")
    return seeded


@settings(max_examples=CASES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=batches, reader_zone=st.sampled_from(ZONES[:-1]), since_days=st.lists(st.integers(0, 450), max_size=3))
def test_old_history_from_sessions_in_any_zone_keeps_the_rollups_exact_in_utc(service, gateway, tokens, batches,
                                                                             reader_zone, since_days):
    with service.transaction(force_rollback=True):
        for job in JOBS:
            service.execute("INSERT INTO public.job_schedules (job_name, cron_expression, service, endpoint)"
                            " VALUES (%s, '* * * * *', 'svc', '/x')", (job,))
        for (zone, style, hostile), rows, one_by_one in batches:
            with service.transaction():
                as_writer(service, zone, style, hostile)
                # Local wall-clock times as ISO text (every DateStyle reads ISO alike), interpreted in the session's zone.
                values = [(job, (TODAY - timedelta(days=age) + timedelta(minutes=minute)).strftime("%Y-%m-%d %H:%M:%S"),
                           status, duration) for job, age, minute, status, duration in rows]
                statements = [[v] for v in values] if one_by_one else [values]
                for chunk in statements:
                    service.execute(
                        "INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at, duration_ms)"
                        " SELECT v.job, v.status, v.started::timestamptz,"
                        "   CASE WHEN v.status <> 'running' THEN v.started::timestamptz + interval '1 second' END,"
                        "   CASE WHEN v.status <> 'running' THEN v.duration END"
                        " FROM unnest(%s::text[], %s::text[], %s::text[], %s::int[]) AS v(job, started, status, duration)",
                        ([c[0] for c in chunk], [c[1] for c in chunk], [c[2] for c in chunk], [c[3] for c in chunk]))
                # ...and the running ones of this batch finish, one statement for all, in the same session.
                service.execute("UPDATE public.scheduled_jobs SET status = 'completed', completed_at = started_at"
                                " + interval '2 seconds', duration_ms = 2000 WHERE job_name = ANY(%s)"
                                " AND status = 'running' AND started_at < now() - interval '200 days'", (list(JOBS),))
                # SET LOCAL outlives the savepoint: the next writer (and the checks) start from plain settings.
                service.execute("SELECT set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, MDY', true),"
                                " set_config('search_path', '\"$user\", public', true)")
        with service.transaction():
            service.execute("SELECT set_config('TimeZone', 'UTC', true)")
            assert rollup_mismatches(service, list(JOBS)) == []
            counters = service.execute(
                "SELECT s.job_name, s.total_runs, s.successful_runs, s.failed_runs FROM public.job_schedules AS s"
                " WHERE s.job_name = ANY(%(jobs)s) ORDER BY 1", {"jobs": list(JOBS)}).fetchall()
            from_history = service.execute(
                "SELECT s.job_name, count(j.id), count(j.id) FILTER (WHERE j.status = 'completed'),"
                "       count(j.id) FILTER (WHERE j.status = 'failed')"
                "  FROM public.job_schedules AS s LEFT JOIN public.scheduled_jobs AS j"
                "    ON j.job_name = s.job_name AND j.status <> 'running'"
                " WHERE s.job_name = ANY(%(jobs)s) GROUP BY 1 ORDER BY 1", {"jobs": list(JOBS)}).fetchall()
            assert counters == from_history, "the job rows' counters are not the history's"
        # Always one execution half an hour into a UTC day and a window from an hour into it: a first day taken in
        # a reader's zone west of Greenwich (the day before, there) would count that execution.
        fixed_start = TODAY - timedelta(days=30) + timedelta(minutes=30)
        service.execute("INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at, duration_ms)"
                        " VALUES (%s, 'completed', %s, %s, 7)", (JOBS[0], fixed_start, fixed_start))
        for zone in dict.fromkeys([reader_zone, "America/Los_Angeles"]):
            with service.transaction(force_rollback=True):  # an admin in another zone reads through RLS
                with service.cursor() as cur:
                    gateway.assume(cur, tokens.user(ADMIN_SUB))
                service.execute("SELECT set_config('TimeZone', %s, true)", (zone,))
                read_windows(service, since_days, fixed_start + timedelta(minutes=30))


def read_windows(service, since_days, fixed_since):
    """The statistics equal the exact computation for windows over the whole history, from the fixed point, just
    after executions (the rest of their UTC day comes from the history) and reaching back over a year."""
    just_after = [r[0] + timedelta(seconds=1) for r in service.execute(
        "SELECT started_at FROM public.scheduled_jobs WHERE job_name = ANY(%s) ORDER BY id LIMIT 3", (list(JOBS),))]
    for since in [None, fixed_since, *just_after, *(TODAY - timedelta(days=d, hours=d % 24) for d in since_days)]:
        for job in (None, JOBS[0]):
            assert stats_mismatches(service, job, since) == []


# --- locks held by a second connection: committed rows of the run's own (tests/policy/pool.py) --------------------

@pytest.fixture
def committed(actor_dsn, gateway, tokens):
    """Committed rows of this test's own, through the service's requests; deleted the same way afterwards."""
    with seeded_pool(actor_dsn, gateway, tokens, size=2) as pool:
        yield pool


def service_session(pool, on, lock_timeout="5s"):
    conn = pool.connections[on]
    conn.autocommit = False
    with conn.cursor() as cur:
        pool.gateway.assume(cur, pool.service)
        cur.execute("SELECT set_config('lock_timeout', %s, true), set_config('statement_timeout', '20s', true)",
                    (lock_timeout,))
    return conn


def release(pool):
    for conn in pool.connections:
        conn.rollback()
        conn.autocommit = True


def test_retention_skips_the_rows_another_session_holds_and_removes_the_rest(committed):
    old = f"{committed.prefix}-old"
    committed.as_service(
        "INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at, duration_ms)"
        " SELECT %s, 'completed', now() - interval '600 days' + s * interval '1 minute',"
        "        now() - interval '600 days' + s * interval '1 minute', s FROM generate_series(1, 6) s", (old,))
    holder = service_session(committed, 0)
    held = [r[0] for r in holder.execute(
        "SELECT id FROM public.scheduled_jobs WHERE job_name = %s ORDER BY started_at LIMIT 2 FOR UPDATE", (old,))]
    try:
        purger = service_session(committed, 1, lock_timeout="3s")
        started = time.monotonic()
        deleted = 0
        while True:  # the service's loop: batches of 2 until a call deletes nothing
            try:
                (n,) = purger.execute("SELECT public.purge_job_execution_history(interval '590 days', 2)").fetchone()
            except psycopg.errors.LockNotAvailable as exc:
                pytest.fail(f"retention waited for (or refused) rows another session holds instead of skipping them: {exc}")
            if n == 0:
                break
            deleted += n
        purger.commit()
        assert time.monotonic() - started < 2.5, "retention waited for the rows another session holds"
        left = {r[0] for r in committed.as_service("SELECT id FROM public.scheduled_jobs WHERE job_name = %s",
                                                     (old,), on=1)}
        assert deleted >= 4 and left == set(held), (deleted, left, held)
    finally:
        holder.rollback()
        release(committed)


def _admin_holds_the_job_row(pool, gateway, tokens):
    conn = pool.connections[0]
    conn.autocommit = False
    with conn.cursor() as cur:
        gateway.assume(cur, tokens.user(ADMIN_SUB))
        cur.execute("UPDATE public.job_schedules SET enabled = NOT enabled WHERE job_name = %s", (pool.prefix,))
        assert cur.rowcount == 1
    return conn


def _counters(pool):
    return pool.as_service("SELECT total_runs, successful_runs, failed_runs FROM public.job_schedules"
                           " WHERE job_name = %s", (pool.prefix,), on=1)[0]


def test_a_service_write_waits_for_a_locked_job_row_then_counts_once(committed, gateway, tokens):
    before = _counters(committed)
    admin = _admin_holds_the_job_row(committed, gateway, tokens)
    releaser = threading.Timer(0.4, admin.commit)
    releaser.start()
    try:
        writer = service_session(committed, 1, lock_timeout="5s")
        started = time.monotonic()
        writer.execute("INSERT INTO public.scheduled_jobs (job_name, status, completed_at, duration_ms)"
                       " VALUES (%s, 'failed', now(), 5)", (committed.prefix,))
        writer.commit()
        waited = time.monotonic() - started
    finally:
        releaser.join()
        release(committed)
    assert waited >= 0.3, f"the statistics were written without the job row's lock ({waited:.2f} s)"
    assert _counters(committed) == (before[0] + 1, before[1], before[2] + 1)


def test_a_service_write_that_gives_up_waiting_leaves_nothing_half_written(committed, gateway, tokens):
    before = _counters(committed)
    (executions_before,) = committed.as_service("SELECT count(*) FROM public.scheduled_jobs WHERE job_name = %s",
                                                (committed.prefix,), on=1)[0]
    admin = _admin_holds_the_job_row(committed, gateway, tokens)
    try:
        writer = service_session(committed, 1, lock_timeout="300ms")
        with pytest.raises(psycopg.errors.LockNotAvailable):
            writer.execute("INSERT INTO public.scheduled_jobs (job_name, status, completed_at, duration_ms)"
                           " VALUES (%s, 'completed', now(), 5)", (committed.prefix,))
        writer.rollback()
    finally:
        admin.rollback()
        release(committed)
    assert _counters(committed) == before
    assert committed.as_service("SELECT count(*) FROM public.scheduled_jobs WHERE job_name = %s",
                                (committed.prefix,), on=1)[0][0] == executions_before
