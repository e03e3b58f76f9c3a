"""Drift: changes made by hand are reported by `preview --refresh` and repaired by `up --refresh`."""

from __future__ import annotations

import psycopg
import pytest

from tests.support.deploy import stack_for

HAND_EDITS = {
    "policy dropped": "DROP POLICY job_schedules_select_admin_service ON public.job_schedules",
    "policy rewritten": "ALTER POLICY scheduled_jobs_select_admin_service ON public.scheduled_jobs USING (true)",
    "rls disabled": "ALTER TABLE public.scheduled_jobs DISABLE ROW LEVEL SECURITY",
    "force removed": "ALTER TABLE public.job_schedules NO FORCE ROW LEVEL SECURITY",
    "trigger disabled": "ALTER TABLE public.scheduled_jobs DISABLE TRIGGER trigger_update_job_stats",
    "trigger dropped": "DROP TRIGGER trigger_job_schedules_updated_at ON public.job_schedules",
    "function replaced": (
        "CREATE OR REPLACE FUNCTION public.get_job_execution_history(p_job_name text, p_limit integer DEFAULT 20,"
        " p_offset integer DEFAULT 0) RETURNS SETOF public.scheduled_jobs LANGUAGE sql SECURITY DEFINER"
        " SET search_path = '' AS $$ SELECT * FROM public.scheduled_jobs $$"
    ),
    "grant widened": "GRANT UPDATE ON public.job_schedules TO authenticated",
    # Roles the model lists no grant for at all: caught by the objects' UnlistedPrivileges resources.
    "grant to a role the model does not list": "GRANT TRUNCATE ON public.scheduled_jobs TO authenticator",
    "trigger function opened to anon": "GRANT EXECUTE ON FUNCTION public.update_job_schedule_stats() TO anon",
}

SNAPSHOT = """
SELECT (SELECT array_agg(policyname || ':' || coalesce(qual, '') ORDER BY policyname) FROM pg_policies
         WHERE schemaname = 'public'),
       (SELECT array_agg(relname || ':' || relrowsecurity::text || relforcerowsecurity::text ORDER BY relname) FROM pg_class
         WHERE relname IN ('job_schedules', 'scheduled_jobs') AND relkind = 'r'),
       (SELECT array_agg(tgname || ':' || tgenabled::text ORDER BY tgname) FROM pg_trigger
         WHERE NOT tgisinternal AND tgrelid IN ('public.job_schedules'::regclass, 'public.scheduled_jobs'::regclass)),
       (SELECT md5(pg_get_functiondef('public.get_job_execution_history(text, integer, integer)'::regprocedure))),
       (SELECT array_agg(a.attname || ':' || coalesce(a.attacl::text, '') ORDER BY a.attname) FROM pg_attribute a
         WHERE a.attrelid = 'public.job_schedules'::regclass AND a.attnum > 0 AND a.attacl IS NOT NULL),
       (SELECT array_agg(relname || ':' || x::text ORDER BY relname, x::text) FROM pg_class, unnest(relacl) x
         WHERE oid IN ('public.job_schedules'::regclass, 'public.scheduled_jobs'::regclass)),
       (SELECT array_agg(x::text ORDER BY x::text) FROM pg_proc, unnest(proacl) x
         WHERE oid = 'public.update_job_schedule_stats()'::regprocedure)
"""


@pytest.fixture(scope="module")
def drift_stack(cluster):
    database = cluster.create_database()
    stack = stack_for(cluster, database)
    stack.up()
    yield stack
    stack.destroy()
    stack.remove()
    cluster.drop_database(database)


def snapshot(dsn):
    with psycopg.connect(dsn) as conn:
        return conn.execute(SNAPSHOT).fetchone()


@pytest.mark.parametrize("edit", list(HAND_EDITS))
def test_drift_is_reported_then_repaired(edit, drift_stack):
    deployed = snapshot(drift_stack.dsn)
    with psycopg.connect(drift_stack.dsn) as conn:
        conn.execute(HAND_EDITS[edit])
    assert snapshot(drift_stack.dsn) != deployed, "the hand edit changed nothing; the test would prove nothing"

    preview = drift_stack.preview(refresh=True)
    proposed = {op: n for op, n in preview.change_summary.items() if op != "same"}
    assert proposed, f"preview --refresh did not report the drift ({edit})"

    drift_stack.up(refresh=True)
    assert snapshot(drift_stack.dsn) == deployed
    after = drift_stack.preview(refresh=True, expect_no_changes=True)
    assert {op: n for op, n in after.change_summary.items() if op != "same"} == {}
