"""Reconciling jobs.yaml, as a hypothesis state machine: random sequences of adding, editing and removing jobs, admin
overrides at run time and executions, each followed by a reconciliation that drives the real Job provider the way
the engine does (diff, then create, update or delete; sometimes a refresh first) against a real database.

Invariants: the definitions equal the model (file values, except where an admin changed `enabled` or the cron
schedule and the file has not changed that field since); removed jobs are retired, not deleted; the statistics and
the history are exactly what the executions made, whatever reconciliation did."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import psycopg
import pytest
from hypothesis import settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from scheduler_kit.providers.job import JobInputs, JobProvider
from tests.support.actors import attempt
from tests.support.model_db import connection_settings, model_database

NAMES = ("alpha", "beta", "gamma-2", "delta")
CRONS = ("0 9 * * 1", "*/5 * * * *", "30 2 * * *", "0 8 * * mon-fri", "15 */4 * * *")
text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)
configs = st.dictionaries(st.sampled_from(["batchSize", "région", "tables", "flag"]),
                          st.one_of(st.integers(-5, 10**6), text, st.booleans(), st.lists(st.integers(0, 9), max_size=3)),
                          max_size=3)
ENV: dict = {}


@pytest.fixture(scope="module", autouse=True)
def environment(cluster, gateway, tokens):
    with model_database(cluster) as dsn:
        ENV.update(dsn=dsn, gateway=gateway, tokens=tokens)
        yield
    ENV.clear()


def job_inputs(name, draw_values) -> JobInputs:
    return JobInputs(name=name, **draw_values)


job_fields = st.fixed_dictionaries({
    "cron": st.sampled_from(CRONS),
    "service": st.sampled_from(["email-service", "billing"]),
    "endpoint": st.sampled_from(["/api/jobs/a", "/run", "/api/v2/jobs/x"]),
    "display_name": st.one_of(st.none(), text.filter(bool)),
    "description": st.one_of(st.none(), text),
    "enabled": st.booleans(),
    "config": configs,
})


class JobsReconciliation(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.dsn = ENV["dsn"]
        self.conn = psycopg.connect(self.dsn, autocommit=True)
        self.conn.execute("TRUNCATE public.scheduled_jobs, public.job_schedules")
        self.provider = JobProvider()
        self.provider._connection = connection_settings(self.dsn)
        self.file: dict[str, JobInputs] = {}      # jobs.yaml as it is now
        self.state: dict[str, dict] = {}          # the engine's state: outputs per job
        self.overrides: dict[str, dict] = {}      # admin changes in force
        self.retired: set[str] = set()
        self.executions: dict[str, int] = {}
        self.clock = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def teardown(self):
        self.conn.close()

    # --- the engine, reduced to what matters for one resource kind --------------------------------------------
    def reconcile(self, refresh: bool = False):
        if refresh:
            for name, outs in list(self.state.items()):
                result = self.provider.read(name, outs)
                if result.id:
                    self.state[name] = result.outs
                else:
                    del self.state[name]
        for name in [n for n in self.state if n not in self.file]:
            self.provider.delete(name, self.state.pop(name))
            self.retired.add(name)
        for name, inputs in self.file.items():
            news = {**dataclasses.asdict(inputs), "live": None, "applied": None}
            if name not in self.state:
                self.state[name] = self.provider.create(news).outs
                self.retired.discard(name)
                self.overrides.pop(name, None)
            elif self.provider.diff(name, self.state[name], news).changes:
                self.state[name] = self.provider.update(name, self.state[name], news).outs

    # --- rules ------------------------------------------------------------------------------------------------
    @rule(name=st.sampled_from(NAMES), values=job_fields, refresh=st.booleans())
    def add_job(self, name, values, refresh):
        if name in self.file:
            return
        self.file[name] = JobInputs(name=name, **values)
        self.reconcile(refresh)

    @precondition(lambda self: self.file)
    @rule(data=st.data(), field=st.sampled_from(["cron", "enabled", "display_name", "description", "endpoint", "config"]),
          refresh=st.booleans())
    def edit_job(self, data, field, refresh):
        name = data.draw(st.sampled_from(sorted(self.file)))
        value = data.draw(job_fields)[field]
        old = self.file[name]
        if getattr(old, field) != value and field in ("cron", "enabled"):
            self.overrides.get(name, {}).pop(field, None)  # the file changed that field: the file wins
        self.file[name] = dataclasses.replace(old, **{field: value})
        self.reconcile(refresh)

    @precondition(lambda self: self.file)
    @rule(data=st.data(), refresh=st.booleans())
    def remove_job(self, data, refresh):
        name = data.draw(st.sampled_from(sorted(self.file)))
        del self.file[name]
        self.overrides.pop(name, None)
        self.reconcile(refresh)

    @precondition(lambda self: self.file)
    @rule(data=st.data(), enabled=st.booleans(), cron=st.sampled_from(CRONS), which=st.sampled_from(["enabled", "cron"]),
          refresh=st.booleans())
    def admin_overrides(self, data, enabled, cron, which, refresh):
        name = data.draw(st.sampled_from(sorted(self.file)))
        column, value = ("enabled", enabled) if which == "enabled" else ("cron_expression", cron)
        with psycopg.connect(self.dsn) as conn:
            out = attempt(conn, ENV["gateway"], ENV["tokens"].user("user_admin"),
                          f"UPDATE public.job_schedules SET {column} = %s WHERE job_name = %s", (value, name))
        assert out.ok and out.rowcount == 1, out.message
        self.overrides.setdefault(name, {})[which] = value
        self.reconcile(refresh)

    @precondition(lambda self: self.file or self.retired)
    @rule(data=st.data(), status=st.sampled_from(["completed", "failed"]))
    def record_execution(self, data, status):
        name = data.draw(st.sampled_from(sorted(set(self.file) | self.retired)))
        self.clock += timedelta(minutes=1)
        with psycopg.connect(self.dsn) as conn:
            out = attempt(conn, ENV["gateway"], ENV["tokens"].service(),
                          "INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at, duration_ms)"
                          " VALUES (%s, %s, %s, %s, 10)", (name, status, self.clock, self.clock + timedelta(seconds=5)))
        assert out.ok, out.message
        self.executions[name] = self.executions.get(name, 0) + 1
        self.reconcile()

    # --- invariants -------------------------------------------------------------------------------------------
    @invariant()
    def definitions_equal_the_model(self):
        rows = {r[0]: r[1:] for r in self.conn.execute(
            "SELECT job_name, display_name, description, cron_expression, enabled, service, endpoint, config,"
            " retired_at IS NOT NULL FROM public.job_schedules")}
        assert set(rows) == set(self.file) | self.retired
        for name, job in self.file.items():
            override = self.overrides.get(name, {})
            expected = (job.display_name, job.description, override.get("cron", job.cron),
                        override.get("enabled", job.enabled), job.service, job.endpoint, job.config, False)
            assert rows[name] == expected, name
        for name in self.retired - set(self.file):
            assert rows[name][3] is False and rows[name][7] is True, f"{name} should be retired and disabled"

    @invariant()
    def statistics_and_history_are_untouched_by_reconciliation(self):
        totals = dict(self.conn.execute("SELECT job_name, total_runs FROM public.job_schedules").fetchall())
        for name, total in totals.items():
            assert total == self.executions.get(name, 0), name
        history = self.conn.execute("SELECT count(*) FROM public.scheduled_jobs").fetchone()[0]
        assert history == sum(self.executions.values())


JobsReconciliation.TestCase.settings = settings(JobsReconciliation.TestCase.settings, stateful_step_count=15)
TestJobsReconciliation = JobsReconciliation.TestCase
