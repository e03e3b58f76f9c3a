"""The statistics trigger as a state machine beside a small model: executions started, finished completed or failed
(in any order), inserted already finished, written again after finishing, corrected, their completion time or
duration amended, cleaned up, and refused when taken back to running or moved to another job, one at a time or
several in one statement. Invariants: every counter and last_run_* equal the model's, and get_job_execution_stats
(which reads the rollups) equals the statistics computed exactly from the history. All through the service role,
logged in as authenticator, inside one transaction that is rolled back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

import psycopg
import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tests.policy.harness import as_service
from tests.policy.pool import RequestPool
from tests.support.actors import attempt
from tests.support.exact_stats import stats_mismatches
from tests.support.profile import hypothesis_profile

JOBS = ("trig-a", "trig-b")
ENV: dict = {}


@pytest.fixture(autouse=True)
def environment(actor_dsn, gateway, tokens):
    ENV.update(dsn=actor_dsn, gateway=gateway, tokens=tokens)
    yield
    ENV.clear()


@dataclass
class Execution:
    id: str
    job: str
    status: str
    started: datetime
    completed: Optional[datetime] = None
    duration: Optional[int] = None
    exists: bool = True


class StatisticsTrigger(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.service = ENV["tokens"].service()
        self.connect()
        for job in JOBS:
            out = self._sql("INSERT INTO public.job_schedules (job_name, cron_expression, service, endpoint)"
                            " VALUES (%s, '* * * * *', 'svc', '/x')", (job,))
            assert out.ok, out.message
        self.executions: list[Execution] = []
        self.counted: dict[str, str] = {}  # execution id -> the final status it counts as (deleted ones included)
        self.last: dict[str, Optional[tuple]] = {job: None for job in JOBS}  # (completed, status, duration)
        self.tick = 0

    def connect(self):
        """One transaction for the whole history, rolled back at the end."""
        self.conn = psycopg.connect(ENV["dsn"])
        self.conn.execute("BEGIN")

    def teardown(self):
        self.conn.rollback()
        self.conn.close()

    def _time(self) -> datetime:
        self.tick += 1
        return datetime(2026, 3, 1, tzinfo=timezone.utc) + timedelta(seconds=10 * self.tick, microseconds=self.tick)

    def _sql(self, statement, params=()):
        return attempt(self._writer(), ENV["gateway"], self.service, statement, params)

    def _writer(self) -> psycopg.Connection:
        return self.conn

    def _count_first_finish(self, e: Execution):
        self.counted[e.id] = e.status
        last = self.last[e.job]
        if last is None or e.completed >= last[0]:
            self.last[e.job] = (e.completed, e.status, e.duration)

    def _recompute_last(self, job):
        finished = [e for e in self.executions if e.exists and e.job == job and e.status != "running"]
        latest = max(finished, key=lambda e: e.completed, default=None)
        self.last[job] = (latest.completed, latest.status, latest.duration) if latest else None

    running = lambda self: [e for e in self.executions if e.exists and e.status == "running"]  # noqa: E731
    finished = lambda self: [e for e in self.executions if e.exists and e.status != "running"]  # noqa: E731

    @rule(job=st.sampled_from(JOBS))
    def start(self, job):
        started = self._time()
        out = self._sql("INSERT INTO public.scheduled_jobs (job_name, started_at) VALUES (%s, %s) RETURNING id",
                        (job, started))
        assert out.ok, out.message
        self.executions.append(Execution(str(out.rows[0][0]), job, "running", started))

    @rule(job=st.sampled_from(JOBS), status=st.sampled_from(["completed", "failed"]), seconds=st.integers(0, 500))
    def insert_finished(self, job, status, seconds):
        started = self._time()
        completed = started + timedelta(seconds=seconds)
        out = self._sql("INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at, duration_ms)"
                        " VALUES (%s, %s, %s, %s, %s) RETURNING id", (job, status, started, completed, seconds * 1000))
        assert out.ok, out.message
        e = Execution(str(out.rows[0][0]), job, status, started, completed, seconds * 1000)
        self.executions.append(e)
        self._count_first_finish(e)

    @precondition(lambda self: self.running())
    @rule(data=st.data(), status=st.sampled_from(["completed", "failed"]), seconds=st.integers(0, 500))
    def finish(self, data, status, seconds):
        """Any running execution may finish next: out of order as often as in order."""
        e = data.draw(st.sampled_from(self.running()))
        e.status, e.completed, e.duration = status, e.started + timedelta(seconds=seconds), seconds * 1000
        out = self._sql("UPDATE public.scheduled_jobs SET status = %s, completed_at = %s, duration_ms = %s WHERE id = %s",
                        (status, e.completed, e.duration, e.id))
        assert out.ok and out.rowcount == 1, out.message
        self._count_first_finish(e)

    @precondition(lambda self: self.finished())
    @rule(data=st.data(), write=st.sampled_from(["metadata", "error", "same status", "items"]))
    def write_again(self, data, write):
        e = data.draw(st.sampled_from(self.finished()))
        statement = {
            "metadata": "UPDATE public.scheduled_jobs SET metadata = '{\"note\": 1}' WHERE id = %s",
            "error": "UPDATE public.scheduled_jobs SET error_message = 'late detail' WHERE id = %s",
            "same status": f"UPDATE public.scheduled_jobs SET status = '{e.status}' WHERE id = %s",
            "items": "UPDATE public.scheduled_jobs SET items_processed = 7 WHERE id = %s",
        }[write]
        out = self._sql(statement, (e.id,))
        assert out.ok and out.rowcount == 1, out.message

    @precondition(lambda self: self.finished())
    @rule(data=st.data())
    def correct(self, data):
        e = data.draw(st.sampled_from(self.finished()))
        old_completed = e.completed
        e.status = "failed" if e.status == "completed" else "completed"
        out = self._sql("UPDATE public.scheduled_jobs SET status = %s WHERE id = %s", (e.status, e.id))
        assert out.ok and out.rowcount == 1, out.message
        self.counted[e.id] = e.status
        last = self.last[e.job]
        if last is not None and last[0] <= old_completed:
            self._recompute_last(e.job)

    @precondition(lambda self: self.finished())
    @rule(data=st.data(), completed_shift=st.none() | st.integers(-5, 500), duration=st.none() | st.integers(0, 10**6))
    def amend_timing(self, data, completed_shift, duration):
        """A finished execution's completion time or duration corrected: counts stay, last_run_* follow."""
        e = data.draw(st.sampled_from(self.finished()))
        old_completed = e.completed
        if completed_shift is not None:
            self.tick += 1  # a fresh microsecond keeps completion times distinct, so "the latest" is never a tie
            moved = (e.completed + timedelta(seconds=completed_shift)).replace(microsecond=self.tick)
            e.completed = max(e.started, moved)
        if duration is not None:
            e.duration = duration
        out = self._sql("UPDATE public.scheduled_jobs SET completed_at = %s, duration_ms = %s WHERE id = %s",
                        (e.completed, e.duration, e.id))
        assert out.ok and out.rowcount == 1, out.message
        last = self.last[e.job]
        if last is not None and last[0] <= max(old_completed, e.completed):
            self._recompute_last(e.job)

    @precondition(lambda self: self.finished())
    @rule(data=st.data())
    def moving_to_another_job_is_refused(self, data):
        e = data.draw(st.sampled_from(self.finished()))
        other = next(job for job in JOBS if job != e.job)
        out = self._sql("UPDATE public.scheduled_jobs SET job_name = %s WHERE id = %s", (other, e.id))
        assert not out.ok and out.sqlstate == "23514", out

    @precondition(lambda self: self.finished())
    @rule(data=st.data())
    def clean_up(self, data):
        e = data.draw(st.sampled_from(self.finished()))
        out = self._sql("DELETE FROM public.scheduled_jobs WHERE id = %s", (e.id,))
        assert out.ok and out.rowcount == 1, out.message
        e.exists = False  # lifetime counters and last_run_* keep it

    @precondition(lambda self: self.finished())
    @rule(data=st.data())
    def reopening_is_refused(self, data):
        e = data.draw(st.sampled_from(self.finished()))
        out = self._sql("UPDATE public.scheduled_jobs SET status = 'running', completed_at = NULL WHERE id = %s", (e.id,))
        assert not out.ok and out.sqlstate == "23514", out

    @rule(items=st.lists(st.tuples(st.sampled_from(JOBS), st.sampled_from(["running", "completed", "failed"]),
                                    st.integers(0, 500)), min_size=2, max_size=6))
    def insert_batch(self, items):
        """Several executions in one INSERT: the many-row path of the trigger."""
        rows = []
        for job, status, seconds in items:
            started = self._time()
            finished = status != "running"
            rows.append(Execution("", job, status, started, started + timedelta(seconds=seconds) if finished else None,
                                  seconds * 1000 if finished else None))
        values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
        params = [v for e in rows for v in (e.job, e.status, e.started, e.completed, e.duration)]
        out = self._sql("INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at, duration_ms)"
                        f" VALUES {values} RETURNING id", params)
        assert out.ok and len(out.rows) == len(rows), out.message
        for e, (execution_id,) in zip(rows, out.rows):
            e.id = str(execution_id)
            self.executions.append(e)
            if e.status != "running":
                self._count_first_finish(e)

    @precondition(lambda self: len(self.running()) >= 2)
    @rule(data=st.data())
    def finish_batch(self, data):
        """Several running executions finish in one UPDATE, in any order of completion."""
        chosen = data.draw(st.lists(st.sampled_from(self.running()), min_size=2, max_size=5, unique_by=lambda e: e.id))
        for e in chosen:
            seconds = data.draw(st.integers(0, 500))
            e.status = data.draw(st.sampled_from(["completed", "failed"]))
            e.completed, e.duration = e.started + timedelta(seconds=seconds), seconds * 1000
        values = ", ".join(["(%s::uuid, %s, %s::timestamptz, %s::int)"] * len(chosen))
        params = [v for e in chosen for v in (e.id, e.status, e.completed, e.duration)]
        out = self._sql("UPDATE public.scheduled_jobs AS j SET status = v.s, completed_at = v.c, duration_ms = v.d"
                        f" FROM (VALUES {values}) AS v (id, s, c, d) WHERE j.id = v.id", params)
        assert out.ok and out.rowcount == len(chosen), out.message
        for e in chosen:
            self._count_first_finish(e)

    @precondition(lambda self: len(self.finished()) >= 2)
    @rule(data=st.data())
    def correct_batch(self, data):
        """Several corrections in one UPDATE, with rows written again unchanged among them."""
        chosen = data.draw(st.lists(st.sampled_from(self.finished()), min_size=2, max_size=5, unique_by=lambda e: e.id))
        flips = [data.draw(st.booleans()) for _ in chosen]
        touched_jobs = {}
        for e, flip in zip(chosen, flips):
            if flip:
                touched_jobs[e.job] = max(touched_jobs.get(e.job, e.completed), e.completed)
                e.status = "failed" if e.status == "completed" else "completed"
                self.counted[e.id] = e.status
        values = ", ".join(["(%s::uuid, %s)"] * len(chosen))
        out = self._sql(f"UPDATE public.scheduled_jobs AS j SET status = v.s FROM (VALUES {values}) AS v (id, s)"
                        " WHERE j.id = v.id", [v for e in chosen for v in (e.id, e.status)])
        assert out.ok and out.rowcount == len(chosen), out.message
        for job, reaches in touched_jobs.items():
            last = self.last[job]
            if last is not None and last[0] <= reaches:
                self._recompute_last(job)

    @precondition(lambda self: len(self.finished()) >= 2)
    @rule(data=st.data())
    def clean_up_batch(self, data):
        chosen = data.draw(st.lists(st.sampled_from(self.finished()), min_size=2, max_size=5, unique_by=lambda e: e.id))
        out = self._sql("DELETE FROM public.scheduled_jobs WHERE id = ANY(%s::uuid[])", ([e.id for e in chosen],))
        assert out.ok and out.rowcount == len(chosen), out.message
        for e in chosen:
            e.exists = False

    @invariant()
    def statistics_function_matches_the_history(self):
        started = [e.started for e in self.executions if e.exists]
        windows = [None] + ([min(started) + (max(started) - min(started)) / 2] if started else [])
        for job in (None, JOBS[0]):
            for since in windows:
                # As the service (BYPASSRLS): RLS is tested elsewhere, this is about the arithmetic.
                with self.conn.transaction(force_rollback=True):
                    self.conn.execute("SET LOCAL ROLE service_role")
                    assert stats_mismatches(self.conn, job, since, among=JOBS) == []

    @invariant()
    def statistics_match_the_model(self):
        rows = {r[0]: r[1:] for r in as_service(
            self.conn, "SELECT job_name, total_runs, successful_runs, failed_runs, last_run_at, last_run_status,"
                       " last_run_duration_ms FROM public.job_schedules WHERE job_name = ANY(%s)", (list(JOBS),))}
        for job in JOBS:
            mine = [status for eid, status in self.counted.items()
                    if next(e for e in self.executions if e.id == eid).job == job]
            expected = (len(mine), mine.count("completed"), mine.count("failed"), *(self.last[job] or (None, None, None)))
            assert rows[job] == expected, job


# At most 120 histories of 25 steps: the suite runs on two database profiles within `make test`'s ten minutes.
StatisticsTrigger.TestCase.settings = settings(
    StatisticsTrigger.TestCase.settings, stateful_step_count=25,
    max_examples=min(StatisticsTrigger.TestCase.settings.max_examples, 120),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
TestStatisticsTrigger = StatisticsTrigger.TestCase


class PooledStatisticsTrigger(StatisticsTrigger):
    """The same histories as committed requests of the service, as PostgREST sends them: each write its own
    transaction, on one of two pooled authenticator connections in turn, so a write never shares a transaction or a
    connection's state with the one before. The rows are committed; the service's own requests delete them at the
    end (and the machine refuses to start if the database already has rows of its jobs, so it never deletes any
    other history)."""

    def connect(self):
        self.pool = RequestPool(ENV["dsn"], ENV["gateway"], ENV["tokens"])
        self.conn = self.pool.connections[0]
        existing = self.pool.as_service("SELECT (SELECT count(*) FROM public.job_schedules WHERE job_name = ANY(%(j)s))"
                                        " + (SELECT count(*) FROM public.scheduled_jobs WHERE job_name = ANY(%(j)s))",
                                        {"j": list(JOBS)})[0][0]
        assert existing == 0, f"the database already has rows of {JOBS}; the pooled machine would delete them"

    def _writer(self) -> psycopg.Connection:
        self.pool.sent += 1
        return self.pool.connections[self.pool.sent % self.pool.size]

    def teardown(self):
        try:
            for table in ("scheduled_jobs", "job_execution_rollups", "job_schedules"):
                self.pool.as_service(f"DELETE FROM public.{table} WHERE job_name = ANY(%s)", (list(JOBS),))
        finally:
            self.pool.close()


PooledStatisticsTrigger.TestCase.settings = settings(
    StatisticsTrigger.TestCase.settings, max_examples={"ci": 8, "mutants": 4}.get(hypothesis_profile(), 6))
TestPooledStatisticsTrigger = PooledStatisticsTrigger.TestCase
