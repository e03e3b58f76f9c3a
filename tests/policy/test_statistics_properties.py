"""Random histories written in batches (many executions per statement), corrected, partly deleted and purged by the
retention function: the lifetime counters equal a model, get_job_execution_stats (rollups plus the window's partial
first day) equals the statistics computed exactly from the history, as an admin through RLS, and the keyset history
pages walk the same rows as the (limit, offset) pages. Each example runs in a transaction that is rolled back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from scheduler_kit.duration_histogram import bucket_of
from tests.policy.harness import ADMIN_SUB
from tests.support.exact_stats import FUNCTION_STATS_AMONG, stats_mismatches

JOBS = ("prop-a", "prop-b", "prop-c")
T0 = datetime(2026, 2, 1, 7, 30, tzinfo=timezone.utc)
# Each example writes and reads a whole random history: at most 150 of them, whatever the profile, keep `make test` fast.
SETTINGS = settings(max_examples=min(settings.default.max_examples, 80), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

durations = st.none() | st.integers(0, 3) | st.integers(0, 10**4) | st.integers(0, 2**31 - 1)
new_execution = st.tuples(st.sampled_from(JOBS), st.sampled_from(["running", "completed", "failed"]),
                          st.integers(0, 24 * 6 * 60), st.integers(0, 3600), durations)
operation = st.one_of(
    st.tuples(st.just("insert"), st.lists(new_execution, min_size=1, max_size=25)),
    st.tuples(st.just("finish"), st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(["completed", "failed"]),
                                                    st.integers(0, 3600), durations), min_size=1, max_size=10)),
    st.tuples(st.just("correct"), st.lists(st.integers(0, 10**6), min_size=1, max_size=10)),
    st.tuples(st.just("retime"), st.lists(st.tuples(st.integers(0, 10**6), st.integers(-24 * 60, 24 * 60)),
                                          min_size=1, max_size=5)),
    st.tuples(st.just("delete"), st.lists(st.integers(0, 10**6), min_size=1, max_size=10)),
)


@dataclass
class Row:
    id: str
    job: str
    status: str
    started: datetime
    completed: Optional[datetime]
    duration: Optional[int]
    exists: bool = True


class Model:
    """Lifetime counters and last_run_* as the trigger must keep them."""

    def __init__(self):
        self.rows: list[Row] = []
        self.counted: dict[str, tuple[str, str]] = {}  # id -> (job, status it counts as)
        self.last: dict[str, Optional[tuple]] = {job: None for job in JOBS}
        self.tick = 0

    def unique(self, moment: datetime) -> datetime:
        self.tick += 1  # distinct microseconds: no two completions tie, so last_run_* is determined
        return moment + timedelta(microseconds=self.tick)

    def first_finish(self, row: Row) -> None:
        self.counted[row.id] = (row.job, row.status)
        last = self.last[row.job]
        if last is None or row.completed >= last[0]:
            self.last[row.job] = (row.completed, row.status, row.duration)

    def recompute(self, job: str) -> None:
        finished = [r for r in self.rows if r.exists and r.job == job and r.status != "running"]
        latest = max(finished, key=lambda r: r.completed, default=None)
        self.last[job] = (latest.completed, latest.status, latest.duration) if latest else None

    def live(self, status_running: bool) -> list[Row]:
        return [r for r in self.rows if r.exists and (r.status == "running") == status_running]


def pick(rows: list[Row], indexes: list[int]) -> list[Row]:
    chosen = {}
    for i in indexes:
        if rows:
            row = rows[i % len(rows)]
            chosen[row.id] = row
    return list(chosen.values())


def apply(conn: psycopg.Connection, model: Model, op) -> None:
    """One valid write by the service; the database must take it (a refusal is the test failing, not an error)."""
    try:
        with conn.transaction():
            _apply(conn, model, op)
    except psycopg.errors.Error as exc:
        pytest.fail(f"the service's valid write {op[0]} was refused: {exc.sqlstate} {str(exc).strip()}")


def _apply(conn: psycopg.Connection, model: Model, op) -> None:
    kind, items = op
    if kind == "insert":
        rows = []
        for job, status, minutes, seconds, duration in items:
            started = model.unique(T0 + timedelta(minutes=minutes))
            finished = status != "running"
            rows.append(Row("", job, status, started, started + timedelta(seconds=seconds) if finished else None,
                            duration if finished else None))
        values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
        ids = conn.execute("INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at, duration_ms)"
                           f" VALUES {values} RETURNING id",
                           [v for r in rows for v in (r.job, r.status, r.started, r.completed, r.duration)]).fetchall()
        for row, (execution_id,) in zip(rows, ids):
            row.id = str(execution_id)
            model.rows.append(row)
            if row.status != "running":
                model.first_finish(row)
    elif kind == "finish":
        chosen = pick(model.live(True), [i for i, *_ in items])
        for row, (_, status, seconds, duration) in zip(chosen, items):
            row.status, row.completed, row.duration = status, row.started + timedelta(seconds=seconds), duration
        if chosen:
            values = ", ".join(["(%s::uuid, %s, %s::timestamptz, %s::int)"] * len(chosen))
            conn.execute("UPDATE public.scheduled_jobs AS j SET status = v.s, completed_at = v.c, duration_ms = v.d"
                         f" FROM (VALUES {values}) AS v (id, s, c, d) WHERE j.id = v.id",
                         [v for r in chosen for v in (r.id, r.status, r.completed, r.duration)])
        for row in chosen:
            model.first_finish(row)
    elif kind == "correct":
        chosen = pick(model.live(False), items)
        reaches: dict[str, datetime] = {}
        for row in chosen:
            row.status = "failed" if row.status == "completed" else "completed"
            model.counted[row.id] = (row.job, row.status)
            reaches[row.job] = max(reaches.get(row.job, row.completed), row.completed)
        if chosen:
            conn.execute("UPDATE public.scheduled_jobs SET status = CASE status WHEN 'completed' THEN 'failed'"
                         " ELSE 'completed' END WHERE id = ANY(%s::uuid[])", ([r.id for r in chosen],))
        for job, moment in reaches.items():
            if model.last[job] is not None and model.last[job][0] <= moment:
                model.recompute(job)
    elif kind == "retime":  # started_at moves (to another day, maybe): the rollups follow
        chosen = pick([r for r in model.rows if r.exists], [i for i, _ in items])
        for row, (_, minutes) in zip(chosen, items):
            moved = row.started + timedelta(minutes=minutes)
            if row.completed is not None and moved > row.completed:
                moved = row.completed
            row.started = moved
        if chosen:
            values = ", ".join(["(%s::uuid, %s::timestamptz)"] * len(chosen))
            conn.execute(f"UPDATE public.scheduled_jobs AS j SET started_at = v.s FROM (VALUES {values}) AS v (id, s)"
                         " WHERE j.id = v.id", [v for r in chosen for v in (r.id, r.started)])
    elif kind == "delete":
        chosen = pick([r for r in model.rows if r.exists], items)
        if chosen:
            conn.execute("DELETE FROM public.scheduled_jobs WHERE id = ANY(%s::uuid[])", ([r.id for r in chosen],))
        for row in chosen:
            row.exists = False  # the lifetime counters and last_run_* keep it


def as_admin(conn, gateway, tokens):
    """The statistics checks run as an admin through RLS: the rollups must be readable the way the history is."""
    cur = conn.cursor()
    gateway.assume(cur, tokens.user(ADMIN_SUB))
    return cur


def windows(model: Model, extra: list[datetime]) -> list[Optional[datetime]]:
    day = datetime(T0.year, T0.month, T0.day, tzinfo=timezone.utc)
    return [None, day + timedelta(days=1), *extra, *(r.started for r in model.rows[:2])]


@pytest.fixture
def history(seeded):
    """Logged in as authenticator, like every actor; the bookkeeping between the admin's checks runs as the
    service (the session's role, BYPASSRLS), each admin check in a savepoint that takes the admin's token."""
    seeded.execute("SET ROLE service_role")
    return seeded


@SETTINGS
@given(ops=st.lists(operation, min_size=1, max_size=8),
       probes=st.lists(st.integers(-24 * 60, 24 * 7 * 60), max_size=3))
def test_random_batches_keep_the_statistics_exact(history, gateway, tokens, ops, probes):
    with history.transaction(force_rollback=True):
        for job in JOBS:
            history.execute("INSERT INTO public.job_schedules (job_name, cron_expression, service, endpoint)"
                            " VALUES (%s, '* * * * *', 'svc', '/x')", (job,))
        model = Model()
        with history.transaction():
            history.execute("SET LOCAL ROLE service_role")
            for op in ops:
                apply(history, model, op)
        rows = {r[0]: r[1:] for r in history.execute(
            "SELECT job_name, total_runs, successful_runs, failed_runs, last_run_at, last_run_status,"
            " last_run_duration_ms FROM public.job_schedules WHERE job_name = ANY(%s)", (list(JOBS),))}
        for job in JOBS:
            mine = [status for (j, status) in model.counted.values() if j == job]
            expected = (len(mine), mine.count("completed"), mine.count("failed"), *(model.last[job] or (None,) * 3))
            assert rows[job] == expected, job
        with history.transaction(force_rollback=True):
            as_admin(history, gateway, tokens)
            for job in (None, *JOBS):
                for since in windows(model, [T0 + timedelta(minutes=m) for m in probes]):
                    assert stats_mismatches(history, job, since, among=JOBS) == []


@SETTINGS
@given(ops=st.lists(operation, min_size=1, max_size=6), age_hours=st.integers(0, 24 * 6),
       batch=st.integers(1, 7))
def test_retention_keeps_the_counters_and_the_statistics_of_what_it_keeps(history, gateway, tokens, ops, age_hours,
                                                                          batch):
    with history.transaction(force_rollback=True):
        # Executions over the six days before the oldest execution the database holds (or before now()), so that a
        # purge by age cuts through them and through nothing else: an audited database's own history, however long,
        # is newer than the cut-off and stays out of the purge's way (one index look-up finds where it starts).
        now, oldest = history.execute("SELECT now(), least(now(), (SELECT min(started_at) FROM public.scheduled_jobs))"
                                      ).fetchone()
        global T0
        saved, T0 = T0, oldest - timedelta(days=6)
        try:
            model = Model()
            with history.transaction():
                history.execute("SET LOCAL ROLE service_role")
                for op in ops:
                    apply(history, model, op)
        finally:
            T0 = saved
        cutoff = oldest - timedelta(hours=age_hours)
        counters = "SELECT job_name, total_runs, successful_runs, failed_runs, last_run_at FROM public.job_schedules"
        before_counters = history.execute(counters).fetchall()
        kept_windows = [cutoff, cutoff + timedelta(hours=5)]
        with history.transaction(force_rollback=True):
            as_admin(history, gateway, tokens)
            before = {since: history.execute(FUNCTION_STATS_AMONG, {"job": None, "since": since, "among": list(JOBS)})
                      .fetchall() for since in kept_windows}
        calls = 0
        with history.transaction():
            history.execute("SET LOCAL ROLE service_role")
            while True:
                (deleted,) = history.execute("SELECT public.purge_job_execution_history(%s, %s)",
                                             (now - cutoff, batch)).fetchone()
                assert 0 <= deleted <= batch
                calls += 1
                if deleted == 0:
                    break
                assert calls < 1000
        # Finished executions older than the cutoff are gone, running ones stay; the counters keep everything.
        (old_finished,) = history.execute("SELECT count(*) FROM public.scheduled_jobs WHERE started_at < %s"
                                          " AND status <> 'running'", (cutoff,)).fetchone()
        assert old_finished == 0
        (running,) = history.execute("SELECT count(*) FROM public.scheduled_jobs WHERE status = 'running'"
                                     " AND job_name = ANY(%s)", (list(JOBS),)).fetchone()
        assert running == len(model.live(True))
        assert history.execute(counters).fetchall() == before_counters
        with history.transaction(force_rollback=True):
            as_admin(history, gateway, tokens)
            for since in kept_windows:  # windows inside what retention keeps: the same statistics as before
                after = history.execute(FUNCTION_STATS_AMONG, {"job": None, "since": since, "among": list(JOBS)}).fetchall()
                assert after == before[since]
            for since in (None, oldest - timedelta(days=7), cutoff - timedelta(minutes=90)):
                # and older windows: what is left, exactly
                assert stats_mismatches(history, None, since, among=JOBS) == []


@SETTINGS
@given(started=st.lists(st.integers(0, 50), min_size=0, max_size=60), limit=st.integers(1, 7))
def test_keyset_pages_walk_the_history_like_offset_pages(history, gateway, tokens, started, limit):
    with history.transaction(force_rollback=True):
        # Repeated start times on purpose: the cursor's id breaks the ties.
        history.execute("INSERT INTO public.scheduled_jobs (job_name, started_at)"
                        " SELECT 'keyset-job', %s::timestamptz + s * interval '1 minute' FROM unnest(%s::int[]) s",
                        (T0, started))
        as_admin(history, gateway, tokens)
        by_offset, offset = [], 0
        while True:
            page = history.execute("SELECT id FROM public.get_job_execution_history('keyset-job', %s, %s)",
                                   (limit, offset)).fetchall()
            by_offset += [r[0] for r in page]
            offset += limit
            if len(page) < limit:
                break
        by_keyset, cursor = [], (None, None)
        while True:
            page = history.execute("SELECT id, started_at FROM public.get_job_execution_history_page('keyset-job', %s, %s, %s)",
                                   (limit, *cursor)).fetchall()
            by_keyset += [r[0] for r in page]
            if len(page) < limit:
                break
            cursor = (page[-1][1], page[-1][0])
        assert by_keyset == by_offset and len(by_keyset) == len(started)


@SETTINGS
@given(values=st.lists(st.integers(0, 2**31 - 1) | st.integers(0, 300), min_size=1, max_size=50))
def test_duration_buckets_in_sql_and_python_agree(history, values):
    got = history.execute("SELECT scheduler_private.duration_bucket(v) FROM unnest(%s::int[]) v", (values,)).fetchall()
    assert [r[0] for r in got] == [bucket_of(v) for v in values]
