"""The model's promises, each met by a write that would break it, derived from the plan where the plan says it:

- every CHECK constraint of the kit's tables (read from the plan deployed into an empty database) and every raise of
  every refusing trigger function refuses its violating write, named; a new constraint or refusal without an example
  here fails the test that says so;
- every definition rule, through INSERT and through an UPDATE of its column, on an enabled, a disabled and a retired
  job, refuses the bad value and takes a good one;
- every statistics path, one-row and many-row statements, for every column that feeds the statistics (status,
  completed_at, duration_ms, started_at) and for INSERT and DELETE: counters, last_run_*, rollups per UTC day and
  the statistics function equal what the history says;
- history pages, by keyset and by offset, are newest first (id breaking ties), only of their job, across pages,
  beside other jobs' rows at the same instants and of every age.
Each example runs in the seeded transaction and is rolled back."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from scheduler_kit.model import Planned
from scheduler_kit.providers.function import Function
from scheduler_kit.providers.trigger import Trigger
from tests.policy.harness import ADMIN_SUB
from tests.policy.reference import planned_catalog  # noqa: F401  (fixture)
from tests.support.exact_stats import rollup_mismatches, stats_mismatches
from tests.support.plan import kit_plan

JOB = "promise-job"

# One violating write per CHECK constraint, as the service (which may write every column).
CHECK_VIOLATIONS = {
    "job_schedules_counters_non_negative":
        f"UPDATE public.job_schedules SET total_runs = -1, failed_runs = -1 WHERE job_name = '{JOB}'",
    "job_schedules_counters_add_up": f"UPDATE public.job_schedules SET total_runs = 5 WHERE job_name = '{JOB}'",
    "job_schedules_last_run_status_check":
        f"UPDATE public.job_schedules SET last_run_status = 'running' WHERE job_name = '{JOB}'",
    "job_schedules_retired_is_disabled":
        f"UPDATE public.job_schedules SET retired_at = now(), enabled = true WHERE job_name = '{JOB}'",
    "job_schedules_last_run_duration_non_negative":
        f"UPDATE public.job_schedules SET last_run_duration_ms = -1 WHERE job_name = '{JOB}'",
    "scheduled_jobs_status_check":
        f"INSERT INTO public.scheduled_jobs (job_name, status, completed_at) VALUES ('{JOB}', 'cancelled', now())",
    "scheduled_jobs_job_name_not_blank": "INSERT INTO public.scheduled_jobs (job_name) VALUES (' ')",
    "scheduled_jobs_completed_after_started":
        "INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at)"
        f" VALUES ('{JOB}', 'completed', now(), now() - interval '1 hour')",
    "scheduled_jobs_finished_has_completed_at":
        f"INSERT INTO public.scheduled_jobs (job_name, status) VALUES ('{JOB}', 'completed')",
    "scheduled_jobs_counts_non_negative":
        f"INSERT INTO public.scheduled_jobs (job_name, items_failed) VALUES ('{JOB}', -1)",
    "scheduled_jobs_metadata_is_object":
        f"INSERT INTO public.scheduled_jobs (job_name, metadata) VALUES ('{JOB}', '[]')",
    "job_execution_rollups_counts_non_negative":
        f"INSERT INTO public.job_execution_rollups (job_name, day, completed) VALUES ('{JOB}', '2000-01-01', -1)",
}
# Every raise of every refusing trigger function, met by a write on the finished execution `finished`.
TRIGGER_REFUSALS = {
    "scheduler_private.refuse_reopening()": [
        "UPDATE public.scheduled_jobs SET id = gen_random_uuid() WHERE id = %(finished)s",
        "UPDATE public.scheduled_jobs SET status = 'running', completed_at = NULL WHERE id = %(finished)s",
        "UPDATE public.scheduled_jobs SET job_name = 'promise-other' WHERE id = %(finished)s",
    ],
}
# The definition rules: a bad and a good value of each rule's column.
RULES = {
    "job_schedules_job_name_format": ("job_name", "Promise Job", "promise-renamed"),
    "job_schedules_cron_expression_valid": ("cron_expression", "61 * * * *", "@daily"),
    "job_schedules_service_not_blank": ("service", " ", "other-service"),
    "job_schedules_endpoint_not_blank": ("endpoint", "\t\n\u00a0", "/api/jobs/other"),  # blank as str.strip() says
    "job_schedules_config_is_object": ("config", "[1]", '{"batchSize": 5}'),
}
STATES = {"enabled": (True, False), "disabled": (False, False), "retired": (False, True)}


@pytest.fixture
def service(seeded):
    seeded.execute("SET ROLE service_role")
    seeded.execute("INSERT INTO public.job_schedules (job_name, cron_expression, service, endpoint)"
                   " VALUES (%s, '0 * * * *', 'svc', '/x')", (JOB,))
    return seeded


def refusal(conn, statement, params=None):
    """The SQLSTATE and constraint name of the refusal, or None when the write was accepted."""
    try:
        with conn.transaction(force_rollback=True):
            conn.execute(statement, params)
        return None
    except psycopg.errors.Error as refused:
        return refused.sqlstate, refused.diag.constraint_name


def _plan() -> list[Planned]:
    return kit_plan("postgres")


def test_every_check_constraint_has_a_violating_write(planned_catalog):
    checks = {obj.rsplit(".", 1)[1] for (obj, aspect), value in planned_catalog.items()
              if obj.startswith("constraint ") and aspect == "definition" and value.startswith("CHECK")}
    assert checks == set(CHECK_VIOLATIONS), (
        f"CHECK constraints of the plan without a violating write here: {sorted(checks - set(CHECK_VIOLATIONS))}; "
        f"examples for constraints the plan no longer has: {sorted(set(CHECK_VIOLATIONS) - checks)}; fix: add or "
        "remove the entry in CHECK_VIOLATIONS")


@pytest.mark.parametrize("constraint", sorted(CHECK_VIOLATIONS))
def test_each_check_constraint_refuses_its_violating_write(service, constraint):
    assert refusal(service, CHECK_VIOLATIONS[constraint]) == ("23514", constraint)


def _refusing_functions() -> dict[str, int]:
    """Trigger functions of the plan that refuse writes, with how many distinct refusals (RAISEs) each has."""
    called = {re.search(r"EXECUTE FUNCTION\s+([\w.]+\(\))", item.inputs.definition).group(1)
              for item in _plan() if item.kind is Trigger}
    return {item.inputs.signature: len(re.findall(r"RAISE EXCEPTION", item.inputs.definition))
            for item in _plan() if item.kind is Function and item.inputs.signature in called
            and "RAISE EXCEPTION" in item.inputs.definition and "check_job_definition" not in item.inputs.signature}


def test_every_refusal_of_every_trigger_has_a_violating_write():
    found = _refusing_functions()
    assert {f: len(TRIGGER_REFUSALS.get(f, [])) for f in found} == found, (
        f"refusing trigger functions of the plan and their RAISEs: {found}; examples here: "
        f"{ {f: len(v) for f, v in TRIGGER_REFUSALS.items()} }; fix: one write per refusal in TRIGGER_REFUSALS")


@pytest.mark.parametrize("function", sorted(TRIGGER_REFUSALS))
def test_each_refusing_trigger_refuses_each_of_its_writes(service, function):
    (finished,) = service.execute("INSERT INTO public.scheduled_jobs (job_name, status, completed_at, duration_ms)"
                                  " VALUES (%s, 'completed', now(), 5) RETURNING id", (JOB,)).fetchone()
    for statement in TRIGGER_REFUSALS[function]:
        got = refusal(service, statement, {"finished": finished})
        assert got is not None and got[0] == "23514", (statement, got)


def test_the_definition_rules_are_the_ones_listed_here():
    body = next(i.inputs.definition for i in _plan() if i.kind is Function and "check_job_definition" in i.inputs.signature)
    assert set(re.findall(r"refused := '(\w+)'", body)) == set(RULES)


@pytest.mark.parametrize("state", sorted(STATES))
@pytest.mark.parametrize("rule", sorted(RULES))
def test_each_definition_rule_through_insert_and_update_on_every_kind_of_job(service, rule, state):
    column, bad, good = RULES[rule]
    enabled, retired = STATES[state]
    values = {"job_name": f"promise-{state}", "cron_expression": "0 9 * * 1", "service": "svc", "endpoint": "/x",
              "config": "{}"}
    insert = ("INSERT INTO public.job_schedules (job_name, cron_expression, service, endpoint, config, enabled, retired_at)"
              " VALUES (%(job_name)s, %(cron_expression)s, %(service)s, %(endpoint)s, %(config)s::jsonb, %(enabled)s,"
              " CASE WHEN %(retired)s THEN now() END)")
    flags = {"enabled": enabled, "retired": retired}
    assert refusal(service, insert, {**values, column: bad, **flags}) == ("23514", rule), "INSERT"
    service.execute(insert, {**values, **flags})
    cast = "::jsonb" if column == "config" else ""
    update = f"UPDATE public.job_schedules SET {column} = %(value)s{cast} WHERE job_name = %(job)s"
    assert refusal(service, update, {"value": bad, "job": values["job_name"]}) == ("23514", rule), "UPDATE"
    assert refusal(service, update, {"value": good, "job": values["job_name"]}) is None, "UPDATE to a good value"


# --- every statistics path ----------------------------------------------------------------------------------------
T0 = datetime(2025, 6, 30, 23, 0, tzinfo=timezone.utc)  # an hour before a UTC day ends
CHANGES = {
    "status": "status = CASE status WHEN 'completed' THEN 'failed' ELSE 'completed' END",
    "completed_at": "completed_at = completed_at + interval '3 hours'",
    "duration_ms": "duration_ms = duration_ms * 7 + 1",
    "started_at": "started_at = started_at - interval '2 days'",
}
STATISTICS_JOBS = [JOB, "promise-other"]


def _history(service, rows):
    service.execute("INSERT INTO public.job_schedules (job_name, cron_expression, service, endpoint)"
                    " VALUES ('promise-other', '0 * * * *', 'svc', '/x')")
    service.execute("INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at, duration_ms)"
                    " SELECT CASE WHEN mod(s, 3) = 0 THEN 'promise-other' ELSE %s END,"
                    "        CASE WHEN mod(s, 2) = 0 THEN 'completed' ELSE 'failed' END,"
                    "        %s::timestamptz + s * interval '17 minutes', %s::timestamptz + s * interval '19 minutes', s * 10"
                    "   FROM generate_series(1, %s) s", (JOB, T0, T0, rows))


def _statistics_hold(service, deleted=0):
    """Counters and last_run_* from the history itself (nothing deleted), rollups per UTC day, the function."""
    problems = rollup_mismatches(service, STATISTICS_JOBS)
    for since in (None, T0 + timedelta(hours=1), T0 - timedelta(days=1)):
        problems += stats_mismatches(service, None, since)
    if not deleted:
        counters = service.execute(
            "SELECT s.job_name, s.total_runs, s.successful_runs, s.failed_runs, s.last_run_at, s.last_run_status,"
            "       s.last_run_duration_ms FROM public.job_schedules AS s WHERE s.job_name = ANY(%s) ORDER BY 1",
            (STATISTICS_JOBS,)).fetchall()
        exact = service.execute(
            "SELECT j.job_name, count(*), count(*) FILTER (WHERE j.status = 'completed'),"
            "       count(*) FILTER (WHERE j.status = 'failed'), max(j.completed_at),"
            "       (array_agg(j.status ORDER BY j.completed_at DESC))[1], (array_agg(j.duration_ms ORDER BY j.completed_at DESC))[1]"
            "  FROM public.scheduled_jobs AS j WHERE j.job_name = ANY(%s) AND j.status <> 'running' GROUP BY 1 ORDER BY 1",
            (STATISTICS_JOBS,)).fetchall()
        if counters != exact:
            problems.append(f"job rows {counters} != from the history {exact}")
    return problems


@pytest.mark.parametrize("rows", [1, 3], ids=["one-row", "many-row"])
@pytest.mark.parametrize("column", sorted(CHANGES))
def test_every_statistics_column_through_one_row_and_many_row_updates(service, column, rows):
    _history(service, 8)
    service.execute(f"UPDATE public.scheduled_jobs SET {CHANGES[column]} WHERE id IN (SELECT id FROM public.scheduled_jobs"
                    " WHERE job_name = %s ORDER BY completed_at DESC LIMIT %s)", (JOB, rows))
    assert _statistics_hold(service) == []


@pytest.mark.parametrize("rows", [1, 3], ids=["one-row", "many-row"])
@pytest.mark.parametrize("write", ["insert finished", "finish running", "delete"])
def test_inserts_finishes_and_deletes_through_one_row_and_many_row_statements(service, write, rows):
    _history(service, 6)
    if write == "insert finished":
        service.execute("INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at, duration_ms)"
                        " SELECT %s, 'failed', %s::timestamptz - s * interval '1 day', %s::timestamptz + s * interval '1 second', s"
                        " FROM generate_series(1, %s) s", (JOB, T0, T0 + timedelta(hours=5), rows))
    elif write == "finish running":
        service.execute("INSERT INTO public.scheduled_jobs (job_name, started_at) SELECT %s, %s::timestamptz"
                        " + s * interval '30 minutes' FROM generate_series(1, %s) s", (JOB, T0, rows))
        service.execute("UPDATE public.scheduled_jobs SET status = 'completed', completed_at = started_at"
                        " + interval '1 minute', duration_ms = 60000 WHERE job_name = %s AND status = 'running'", (JOB,))
    else:
        service.execute("DELETE FROM public.scheduled_jobs WHERE id IN (SELECT id FROM public.scheduled_jobs"
                        " WHERE job_name = %s ORDER BY duration_ms DESC LIMIT %s)", (JOB, rows))
    assert _statistics_hold(service, deleted=rows if write == "delete" else 0) == []


# --- history pages --------------------------------------------------------------------------------------------------

def test_history_pages_are_newest_first_and_only_of_their_job_beside_other_jobs_of_every_age(service, gateway, tokens):
    now = service.execute("SELECT now()").fetchone()[0]
    # The page's job and two others at the same instants (ties inside and across jobs), from minutes to 500 days old.
    ages = [timedelta(minutes=3), timedelta(hours=5), timedelta(days=1), timedelta(days=40), timedelta(days=365),
            timedelta(days=500)]
    for job in (JOB, "promise-other", "promise-older"):
        for age in ages:
            service.execute("INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at, duration_ms)"
                            " SELECT %s, 'completed', %s, %s, 1 FROM generate_series(1, 3)", (job, now - age, now - age))
    service.execute("INSERT INTO public.scheduled_jobs (job_name, started_at) VALUES (%s, %s)", (JOB, now))
    exact = [r[0] for r in service.execute("SELECT id FROM public.scheduled_jobs WHERE job_name = %s"
                                           " ORDER BY started_at DESC, id DESC", (JOB,))]
    with service.transaction(force_rollback=True):
        with service.cursor() as cur:
            gateway.assume(cur, tokens.user(ADMIN_SUB))
        for limit in (1, 4, 7):
            by_keyset, cursor = [], (None, None)
            while True:
                page = service.execute("SELECT id, started_at, job_name FROM public.get_job_execution_history_page"
                                       "(%s, %s, %s, %s)", (JOB, limit, *cursor)).fetchall()
                assert {r[2] for r in page} <= {JOB}, f"a page of {JOB} holds {sorted({r[2] for r in page})}"
                by_keyset += [r[0] for r in page]
                if len(page) < limit:
                    break
                cursor = (page[-1][1], page[-1][0])
            by_offset, offset = [], 0
            while True:
                page = service.execute("SELECT id, job_name FROM public.get_job_execution_history(%s, %s, %s)",
                                       (JOB, limit, offset)).fetchall()
                assert {r[1] for r in page} <= {JOB}
                by_offset += [r[0] for r in page]
                offset += limit
                if len(page) < limit:
                    break
            assert by_keyset == exact, f"keyset pages of {limit}: not the job's history newest first"
            assert by_offset == exact, f"offset pages of {limit}: not the job's history newest first"
