"""What the catalog must say, whatever the data: RLS on and forced, exactly the expected policies, helper functions
with the caller's rights and a pinned search_path, nothing for PUBLIC or anon, no other kit role with BYPASSRLS."""

from __future__ import annotations

import psycopg
import pytest

EXPECTED_POLICIES = {
    ("job_schedules", "job_schedules_select_admin_service", "SELECT", ("authenticated", "service_role")),
    ("job_schedules", "job_schedules_insert_service", "INSERT", ("service_role",)),
    ("job_schedules", "job_schedules_update_admin_service", "UPDATE", ("authenticated", "service_role")),
    ("job_schedules", "job_schedules_delete_service", "DELETE", ("service_role",)),
    ("scheduled_jobs", "scheduled_jobs_select_admin_service", "SELECT", ("authenticated", "service_role")),
    ("scheduled_jobs", "scheduled_jobs_insert_service", "INSERT", ("service_role",)),
    ("scheduled_jobs", "scheduled_jobs_update_service", "UPDATE", ("service_role",)),
    ("scheduled_jobs", "scheduled_jobs_delete_service", "DELETE", ("service_role",)),
    ("job_execution_rollups", "job_execution_rollups_select_admin_service", "SELECT", ("authenticated", "service_role")),
    ("job_execution_rollups", "job_execution_rollups_insert_service", "INSERT", ("service_role",)),
    ("job_execution_rollups", "job_execution_rollups_update_service", "UPDATE", ("service_role",)),
    ("job_execution_rollups", "job_execution_rollups_delete_service", "DELETE", ("service_role",)),
}
# Tables under RLS, and the public functions of the kit (the catalog checks below cover them all).
TABLES = ("job_schedules", "scheduled_jobs", "job_execution_rollups")
PUBLIC_FUNCTIONS = ("get_job_execution_history", "get_job_execution_history_page", "get_job_execution_stats",
                    "purge_job_execution_history", "update_job_schedule_stats")
HELPERS = ("public.get_job_execution_history(text, integer, integer)",
           "public.get_job_execution_history_page(text, integer, timestamp with time zone, uuid)",
           "public.get_job_execution_stats(text, timestamp with time zone)",
           "public.purge_job_execution_history(interval, integer)")


@pytest.fixture
def catalog(policy_dsn):
    with psycopg.connect(policy_dsn) as conn:
        yield conn


def test_rls_is_enabled_and_forced(catalog):
    flags = dict((r[0], r[1:]) for r in catalog.execute(
        "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class"
        " WHERE relnamespace = 'public'::regnamespace AND relname = ANY(%s)", (list(TABLES),)))
    assert flags == {table: (True, True) for table in TABLES}


def test_exactly_the_expected_policies(catalog):
    found = {(r[0], r[1], r[2], tuple(sorted(r[3]))) for r in catalog.execute(
        "SELECT tablename, policyname, cmd, roles::text[] FROM pg_policies"
        " WHERE schemaname = 'public' AND tablename = ANY(%s)", (list(TABLES),))}
    assert found == EXPECTED_POLICIES
    permissive = {r[0] for r in catalog.execute("SELECT permissive FROM pg_policies WHERE schemaname = 'public'"
                                                " AND tablename = ANY(%s)", (list(TABLES),))}
    assert permissive == {"PERMISSIVE"}


def test_admin_checks_are_wrapped_to_run_once_per_statement(catalog):
    for (qual,) in catalog.execute("SELECT coalesce(qual, '') || coalesce(with_check, '') FROM pg_policies"
                                   " WHERE qual LIKE '%%is_admin%%' OR with_check LIKE '%%is_admin%%'"):
        assert "SELECT" in qual.upper() and qual.strip().startswith("( SELECT"), qual


@pytest.mark.parametrize("signature", HELPERS)
def test_helpers_run_with_the_callers_rights_and_pin_search_path(catalog, signature):
    definer, config = catalog.execute(
        "SELECT prosecdef, proconfig FROM pg_proc WHERE oid = %s::regprocedure", (signature,)).fetchone()
    assert definer is False
    assert config and any(c.startswith("search_path=") for c in config)


def test_every_kit_function_pins_search_path(catalog):
    unpinned = [r[0] for r in catalog.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE (n.nspname = 'scheduler_private' OR p.proname = ANY(%s))"
        " AND NOT coalesce(p.proconfig::text LIKE '%%search_path=%%', false)", (list(PUBLIC_FUNCTIONS),))]
    assert unpinned == []


def test_nothing_is_granted_to_public_or_anon(catalog):
    table_grants = catalog.execute(
        "SELECT c.relname, x.grantee::regrole::text, x.privilege_type FROM pg_class c,"
        " aclexplode(c.relacl) x WHERE c.relnamespace = 'public'::regnamespace AND c.relname = ANY(%s)"
        " AND (x.grantee = 0 OR x.grantee = 'anon'::regrole)", (list(TABLES),)).fetchall()
    column_grants = catalog.execute(
        "SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid, aclexplode(a.attacl) x"
        " WHERE c.relnamespace = 'public'::regnamespace AND c.relname = ANY(%s)"
        " AND (x.grantee = 0 OR x.grantee = 'anon'::regrole)", (list(TABLES),)).fetchall()
    function_grants = catalog.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace,"
        " aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) x"
        " WHERE (n.nspname = 'scheduler_private' OR p.proname = ANY(%s))"
        " AND (x.grantee = 0 OR x.grantee = 'anon'::regrole)", (list(PUBLIC_FUNCTIONS),)).fetchall()
    assert (table_grants, column_grants, function_grants) == ([], [], [])


def test_only_service_role_bypasses_rls(catalog):
    bypass = {r[0] for r in catalog.execute(
        "SELECT rolname FROM pg_roles WHERE rolbypassrls AND rolname IN ('anon', 'authenticated', 'service_role')")}
    assert bypass == {"service_role"}


def test_retention_is_the_services_alone(catalog):
    """Whoever else gets EXECUTE would still be stopped by the DELETE privilege; the grant itself must be exact."""
    callers = {r[0] for r in catalog.execute(
        "SELECT r.rolname FROM pg_roles r WHERE r.rolname IN ('anon', 'authenticated', 'service_role')"
        " AND has_function_privilege(r.oid, 'public.purge_job_execution_history(interval, integer)', 'EXECUTE')")}
    assert callers == {"service_role"}
