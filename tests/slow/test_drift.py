"""Drift: changes made by hand are reported by `preview --refresh` and repaired by `up --refresh`."""

from __future__ import annotations

import psycopg
import pytest

from tests.support.deploy import deployed_database

# Each hand edit, and the resource whose refresh must report it.
HAND_EDITS = {
    "policy dropped": ("DROP POLICY job_schedules_select_admin_service ON public.job_schedules",
                       "policy-job_schedules_select_admin_service"),
    "policy rewritten": ("ALTER POLICY scheduled_jobs_select_admin_service ON public.scheduled_jobs USING (true)",
                         "policy-scheduled_jobs_select_admin_service"),
    "rls disabled": ("ALTER TABLE public.scheduled_jobs DISABLE ROW LEVEL SECURITY", "rls-scheduled_jobs"),
    "force removed": ("ALTER TABLE public.job_schedules NO FORCE ROW LEVEL SECURITY", "rls-job_schedules"),
    "trigger disabled": ("ALTER TABLE public.scheduled_jobs DISABLE TRIGGER trigger_scheduled_jobs_updated_at",
                         "trigger-trigger_scheduled_jobs_updated_at"),
    "trigger dropped": ("DROP TRIGGER trigger_job_schedules_updated_at ON public.job_schedules",
                        "trigger-trigger_job_schedules_updated_at"),
    "function replaced": (
        "CREATE OR REPLACE FUNCTION public.get_job_execution_history(p_job_name text, p_limit integer DEFAULT 20,"
        " p_offset integer DEFAULT 0) RETURNS SETOF public.scheduled_jobs LANGUAGE sql SECURITY DEFINER"
        " SET search_path = '' AS $$ SELECT * FROM public.scheduled_jobs $$",
        "function-public.get_job_execution_history"),
    "grant widened": ("GRANT UPDATE ON public.job_schedules TO authenticated",
                      "privileges-table-public.job_schedules"),
    # Roles the model lists no grant for at all: caught by the same per-object resources (the whole ACL).
    "grant to a role the model does not list": ("GRANT TRUNCATE ON public.scheduled_jobs TO authenticator",
                                                "privileges-table-public.scheduled_jobs"),
    "trigger function opened to anon": ("GRANT EXECUTE ON FUNCTION public.update_job_schedule_stats() TO anon",
                                        "privileges-function-public.update_job_schedule_stats"),
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
    with deployed_database(cluster) as stack:
        yield stack


def snapshot(dsn):
    with psycopg.connect(dsn) as conn:
        return conn.execute(SNAPSHOT).fetchone()


def changed(result) -> dict:
    return {op: n for op, n in result.change_summary.items() if op != "same"}


def test_each_hand_edit_is_reported_on_its_resource_then_repaired(drift_stack):
    """All the edits at once (each on an object of its own), one preview and one up: each must show on the resource
    that owns it, and the up must put every one back. (One engine round instead of one per edit keeps make test
    short; an edit that went unreported would still be named.)"""
    deployed = snapshot(drift_stack.dsn)
    for edit, (statement, _) in HAND_EDITS.items():
        with psycopg.connect(drift_stack.dsn) as conn:
            before = snapshot(drift_stack.dsn)
            conn.execute(statement)
            conn.commit()
        assert snapshot(drift_stack.dsn) != before, f"the hand edit {edit!r} changed nothing; it would prove nothing"

    preview = drift_stack.preview(refresh=True, diff=True)
    unreported = [edit for edit, (_, resource) in HAND_EDITS.items() if f"::{resource}]" not in preview.stdout]
    assert not unreported, f"preview --refresh did not report: {unreported}"
    assert changed(preview), preview.change_summary

    drift_stack.up(refresh=True)
    assert snapshot(drift_stack.dsn) == deployed
    quiet = drift_stack.preview(refresh=True, diff=True, expect_no_changes=True)
    assert changed(quiet) == {}
    # The check above can fail: without drift, none of these resources is named.
    assert [r for _, r in HAND_EDITS.values() if f"::{r}]" in quiet.stdout] == []
