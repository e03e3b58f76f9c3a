"""The database's own rules for a job's definition (trigger_job_schedules_definition_is_valid) accept exactly what the
jobs file's validation accepts, for the service writing rows and for an admin changing a schedule, and refuse the
rest as a CHECK constraint would (SQLSTATE 23514, the rule's name). Each example is rolled back."""

from __future__ import annotations

import re

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from scheduler_kit.cron import matches_grammar
from tests.policy.harness import ADMIN_SUB

SETTINGS = settings(max_examples=min(settings.default.max_examples, 150), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
JOB_NAME = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")

cron_like = st.lists(st.sampled_from(["*", "*/5", "0", "7", "59", "60", "24", "0-30", "1,2", "mon", "JAN", "L", "?",
                                      "*/0", "/5", "1-", "32", "13", "@daily", "@Weekly", "@often", "", "\t"]),
                     min_size=0, max_size=7).map(" ".join)
names = st.from_regex(r"\A[a-z0-9-]{1,12}\Z") | st.sampled_from(["Job", "a--b", "-a", "a-", "a" * 101, "a" * 100, "a b"])


@pytest.fixture
def service(seeded):
    """The seeded authenticator session acting as the service; rolled back with it."""
    seeded.execute("SET ROLE service_role")
    return seeded


def outcome(conn: psycopg.Connection, statement: str, params: tuple) -> str | None:
    """None when the statement is accepted; the refused rule's name otherwise (any other error fails the test)."""
    try:
        with conn.transaction():
            conn.execute(statement, params)
        return None
    except psycopg.errors.CheckViolation as refused:
        return refused.diag.constraint_name


@SETTINGS
@given(name=names, cron=cron_like, service_name=st.sampled_from(["svc", " ", "", "\t", " \n\u3000", "\u200bx"]),
       config=st.sampled_from(['{}', '{"a": 1}', '[]', '"x"', 'null']))
def test_the_database_accepts_what_the_jobs_file_accepts(service, name, cron, service_name, config):
    expected = ("job_schedules_job_name_format" if not (JOB_NAME.fullmatch(name) and len(name) <= 100)
                else "job_schedules_cron_expression_valid" if not matches_grammar(cron)
                else "job_schedules_service_not_blank" if not service_name.strip()
                else "job_schedules_config_is_object" if config != "{}" and not config.startswith("{")
                else None)
    with service.transaction(force_rollback=True):  # an accepted row leaves with the example
        got = outcome(service, "INSERT INTO public.job_schedules (job_name, cron_expression, service, endpoint, config)"
                               " VALUES (%s, %s, %s, '/x', %s::jsonb)", (name, cron, service_name, config))
    assert got == expected, (name, cron, service_name, config)


@SETTINGS
@given(cron=cron_like)
def test_an_admin_changes_a_schedule_only_to_a_valid_one(service, gateway, tokens, cron):
    with service.transaction(force_rollback=True):
        service.execute("INSERT INTO public.job_schedules (job_name, cron_expression, service, endpoint)"
                        " VALUES ('rules-job', '0 * * * *', 'svc', '/x')")
        with service.cursor() as cur:
            gateway.assume(cur, tokens.user(ADMIN_SUB))
        got = outcome(service, "UPDATE public.job_schedules SET cron_expression = %s WHERE job_name = 'rules-job'",
                      (cron,))
        assert got == (None if matches_grammar(cron) else "job_schedules_cron_expression_valid"), cron
        (stored,) = service.execute("SELECT cron_expression FROM public.job_schedules WHERE job_name = 'rules-job'"
                                    ).fetchone()
        assert stored == (cron if matches_grammar(cron) else "0 * * * *")


def test_statistics_updates_do_not_run_the_definition_rules(policy_dsn):
    """Why the rules are a trigger on the definition columns, not CHECK constraints: a statistics update names none
    of them, so it never evaluates them. Shown with a row whose definition breaks a rule (written by the owner with the
    rules switched off, all rolled back): finishing an execution of its job still updates the job's statistics."""
    with psycopg.connect(policy_dsn) as owner:
        with owner.transaction(force_rollback=True):
            owner.execute("ALTER TABLE public.job_schedules DISABLE TRIGGER trigger_job_schedules_definition_is_valid")
            owner.execute("INSERT INTO public.job_schedules (job_name, cron_expression, service, endpoint)"
                          " VALUES ('rules-legacy', 'not a schedule', 'svc', '/x')")
            owner.execute("ALTER TABLE public.job_schedules ENABLE TRIGGER trigger_job_schedules_definition_is_valid")
            owner.execute("SET LOCAL ROLE service_role")
            assert outcome(owner, "INSERT INTO public.scheduled_jobs (job_name, status, completed_at, duration_ms)"
                                  " VALUES ('rules-legacy', 'completed', now(), 5)", ()) is None
            (runs,) = owner.execute("SELECT total_runs FROM public.job_schedules WHERE job_name = 'rules-legacy'"
                                    ).fetchone()
            assert runs == 1
            # ...while writing the definition itself is checked.
            assert outcome(owner, "UPDATE public.job_schedules SET cron_expression = cron_expression"
                                  " WHERE job_name = 'rules-legacy'", ()) == "job_schedules_cron_expression_valid"
