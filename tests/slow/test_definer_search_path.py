"""SECURITY DEFINER functions name pg_temp last (issue 17, item 7). With `search_path = ''` PostgreSQL still
searches the caller's temporary schema first for relation and type names; the documented safe form lists pg_temp
explicitly, last. A caller's temporary objects named like the relations and types the bodies use change nothing:
not the admin check's answer, not what the statistics trigger writes."""

from __future__ import annotations

import psycopg
import pytest

from scheduler_kit.model import Function
from tests.support.plan import kit_plan

# What a caller may create without any privilege but TEMP (which PUBLIC holds on a new database): types and tables
# named like the ones the definer bodies use without a schema (types) or with one (tables).
SHADOWS = """
CREATE DOMAIN pg_temp.jsonb AS pg_catalog.text;
CREATE DOMAIN pg_temp.text AS pg_catalog.int4;
CREATE DOMAIN pg_temp.int4 AS pg_catalog.text;
CREATE TEMP TABLE users (clerk_user_id pg_catalog.text, role pg_catalog.text);
CREATE TEMP TABLE job_schedules (job_name pg_catalog.text, total_runs pg_catalog.int8);
CREATE TEMP TABLE job_execution_rollups (job_name pg_catalog.text);
CREATE TEMP TABLE new_rows (id pg_catalog.uuid, status pg_catalog.text);
CREATE TEMP TABLE old_rows (id pg_catalog.uuid, status pg_catalog.text);
"""


def test_every_definer_function_lists_pg_temp_last():
    definers = [f.inputs for f in kit_plan("postgres") if f.kind is Function and "SECURITY DEFINER" in f.inputs.definition]
    assert definers, "no SECURITY DEFINER function in the plan: the test would prove nothing"
    for function in definers:
        path = [line for line in function.definition.splitlines() if line.strip().upper().startswith("SET SEARCH_PATH")]
        assert path and path[0].replace(" ", "").lower().endswith(",pg_temp"), (function.signature, path)


def is_admin(actor_dsn: str, gateway, token: str, shadow: bool) -> object:
    with psycopg.connect(actor_dsn) as conn:  # a new session: PL/pgSQL caches its plans per session
        with conn.cursor() as cur:
            gateway.assume(cur, token)
            if shadow:
                cur.execute(SHADOWS)
                cur.execute("INSERT INTO users VALUES ('user_regular', 'admin')")
            try:
                cur.execute("SELECT scheduler_private.is_admin()")
                return cur.fetchone()[0]
            except psycopg.Error as exc:
                return f"error: {exc.sqlstate} {str(exc).strip().splitlines()[0]}"
            finally:
                conn.rollback()


@pytest.mark.parametrize("who", ["user_admin", "user_regular"])
def test_a_callers_temporary_objects_do_not_change_the_admin_check(deployed, users, gateway, tokens, who):
    token = tokens.user(who)
    shadowed = is_admin(deployed.actor_dsn, gateway, token, shadow=True)
    plain = is_admin(deployed.actor_dsn, gateway, token, shadow=False)
    assert (shadowed, plain) == (who == "user_admin", who == "user_admin")


def test_a_callers_temporary_objects_do_not_change_what_the_statistics_trigger_writes(deployed, gateway, tokens):
    def write(shadow: bool):
        with psycopg.connect(deployed.actor_dsn) as conn:
            with conn.cursor() as cur:
                gateway.assume(cur, tokens.service())
                if shadow:
                    cur.execute(SHADOWS)
                cur.execute("INSERT INTO public.job_schedules (job_name, cron_expression, service, endpoint)"
                            " VALUES ('shadow-job', '0 1 * * *', 'svc', '/x')")
                try:
                    cur.execute("INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at, duration_ms)"
                                " VALUES ('shadow-job', 'completed', now() - interval '1 minute', now(), 60000),"
                                " ('shadow-job', 'failed', now() - interval '2 minutes', now(), 500)")
                    cur.execute("INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at, duration_ms)"
                                " VALUES ('shadow-job', 'completed', now() - interval '3 minutes', now(), 7)")
                    cur.execute("SELECT s.total_runs, s.successful_runs, s.failed_runs, s.last_run_duration_ms,"
                                " (SELECT r.completed FROM public.job_execution_rollups r WHERE r.job_name = s.job_name)"
                                " FROM public.job_schedules s WHERE s.job_name = 'shadow-job'")
                    return cur.fetchone()
                except psycopg.Error as exc:
                    return f"error: {exc.sqlstate} {str(exc).strip().splitlines()[0]}"
                finally:
                    conn.rollback()
    plain = write(shadow=False)
    assert plain[:3] == (3, 2, 1), plain
    assert write(shadow=True) == plain
