"""What the catalog must say, whatever the data. The expectations are derived from the kit's own plan
(scheduler_kit/model.py), never re-typed: every table, column, function and schema the kit creates has exactly the
privileges the plan grants, for every role of the cluster (PUBLIC, the API roles, authenticator, dashboard_user, ...);
RLS is on and forced; exactly the expected policies; every function's security mode and search_path are the plan's."""

from __future__ import annotations

import re

import psycopg
import pytest

from scheduler_kit.model import Planned
from scheduler_kit.policies import load_policies
from scheduler_kit.providers.function import Function
from tests.support.acl import acl_differences
from tests.support.plan import kit_plan

# Tables under RLS (derived below from the policy file would be circular: the catalog must match both).
KIT_TABLES = ("public.job_schedules", "public.scheduled_jobs", "public.job_execution_rollups")
TABLE_NAMES = [t.split(".")[1] for t in KIT_TABLES]


@pytest.fixture(scope="module")
def plan(policy_target) -> list[Planned]:
    return kit_plan(policy_target)


@pytest.fixture
def catalog(policy_dsn):
    with psycopg.connect(policy_dsn) as conn:
        yield conn


def test_rls_is_enabled_and_forced(catalog):
    flags = dict((r[0], r[1:]) for r in catalog.execute(
        "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = ANY(%s::regclass[])",
        (list(KIT_TABLES),)))
    assert flags == {name: (True, True) for name in TABLE_NAMES}


def test_exactly_the_policies_of_the_policy_file(catalog):
    expected = {(p.table.split(".")[1], p.name, p.command, tuple(sorted(p.roles))) for p in load_policies()}
    found = {(r[0], r[1], r[2], tuple(sorted(r[3]))) for r in catalog.execute(
        "SELECT tablename, policyname, cmd, roles::text[] FROM pg_policies"
        " WHERE schemaname = 'public' AND tablename = ANY(%s)", (TABLE_NAMES,))}
    assert found == expected
    permissive = {r[0] for r in catalog.execute("SELECT permissive FROM pg_policies WHERE schemaname = 'public'"
                                                " AND tablename = ANY(%s)", (TABLE_NAMES,))}
    assert permissive == {"PERMISSIVE"}


def test_admin_checks_are_wrapped_to_run_once_per_statement(catalog):
    expected = sum("is_admin" in f"{p.using or ''}{p.with_check or ''}" for p in load_policies())
    checks = [r[0] for r in catalog.execute(
        "SELECT coalesce(qual, '') || coalesce(with_check, '') FROM pg_policies"
        " WHERE schemaname = 'public' AND tablename = ANY(%s)"
        " AND (qual LIKE '%%is_admin%%' OR with_check LIKE '%%is_admin%%')", (TABLE_NAMES,))]
    assert expected > 0 and len(checks) == expected, f"{len(checks)} policies call is_admin, the policy file has {expected}"
    for text in checks:
        assert text.strip().startswith("( SELECT"), text


def _kit_functions(plan):
    return [item.inputs for item in plan if item.kind is Function]


def test_every_function_has_the_plans_security_mode_and_exact_search_path(catalog, plan):
    wrong = []
    for function in _kit_functions(plan):
        definer = bool(re.search(r"^\s*SECURITY\s+DEFINER\b", function.definition, re.I | re.M))
        path = re.search(r"^\s*SET\s+search_path\s*=\s*(.*?)\s*$", function.definition, re.I | re.M).group(1)
        expected_path = "search_path=" + ('""' if path == "''" else path.replace(" ", ""))
        row = catalog.execute("SELECT prosecdef, proconfig FROM pg_proc WHERE oid = to_regprocedure(%s)",
                              (function.signature,)).fetchone()
        if row is None:
            wrong.append(f"{function.signature}: missing")
            continue
        paths = [c.replace(" ", "") for c in (row[1] or []) if c.startswith("search_path=")]
        if row[0] != definer or paths != [expected_path]:
            wrong.append(f"{function.signature}: SECURITY {'DEFINER' if row[0] else 'INVOKER'} {paths}, "
                         f"the plan says SECURITY {'DEFINER' if definer else 'INVOKER'} [{expected_path}]")
    assert not wrong, "\n".join(wrong)


def test_retention_is_the_services_alone(catalog):
    """Whoever else gets EXECUTE would still be stopped by the DELETE privilege; the grant itself must be exact."""
    callers = {r[0] for r in catalog.execute(
        "SELECT r.rolname FROM pg_roles r WHERE r.rolname IN ('anon', 'authenticated', 'service_role', 'authenticator')"
        " AND has_function_privilege(r.oid, 'public.purge_job_execution_history(interval, integer)', 'EXECUTE')")}
    assert callers == {"service_role"}


def test_the_admin_check_is_the_only_security_definer_that_reads_tables_for_callers(catalog):
    """is_admin must be SECURITY DEFINER (callers have no grant on the lookup table) and the helpers must not be."""
    modes = dict(catalog.execute(
        "SELECT p.oid::regprocedure::text, p.prosecdef FROM pg_proc p WHERE p.oid = ANY(ARRAY["
        "to_regprocedure('scheduler_private.is_admin()'),"
        "to_regprocedure('public.get_job_execution_history(text, integer, integer)'),"
        "to_regprocedure('public.get_job_execution_stats(text, timestamp with time zone)')])").fetchall())
    assert modes == {"scheduler_private.is_admin()": True,
                     "get_job_execution_history(text,integer,integer)": False,
                     "get_job_execution_stats(text,timestamp with time zone)": False}


def test_every_kit_object_has_exactly_the_plans_privileges_for_every_role(catalog, plan):
    wrong = acl_differences(catalog, plan)
    assert not wrong, "\n".join(wrong)


def test_sequences_of_kit_tables_are_granted_to_nobody(catalog):
    held = catalog.execute(
        "SELECT s.oid::regclass::text, pg_get_userbyid(x.grantee), x.privilege_type FROM pg_depend d"
        " JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S', aclexplode(s.relacl) x"
        " WHERE d.refobjid = ANY(%s::regclass[]) AND d.deptype IN ('a', 'i') AND x.grantee <> s.relowner",
        (list(KIT_TABLES),)).fetchall()
    assert held == []


def test_no_api_role_may_create_objects_in_the_kits_schemas(catalog):
    creators = catalog.execute(
        "SELECT n.nspname, r.name FROM pg_namespace n,"
        " unnest(ARRAY['PUBLIC', 'anon', 'authenticated', 'service_role', 'authenticator']) AS r(name)"
        " WHERE n.nspname IN ('public', 'scheduler_private') AND (CASE WHEN r.name = 'PUBLIC'"
        "   THEN EXISTS (SELECT 1 FROM aclexplode(n.nspacl) x WHERE x.grantee = 0 AND x.privilege_type = 'CREATE')"
        "   ELSE has_schema_privilege(r.name, n.oid, 'CREATE') END)").fetchall()
    assert creators == []


def test_only_the_api_roles_and_the_service_reach_the_private_schema(catalog):
    users = {r[0] for r in catalog.execute(
        "SELECT r.rolname FROM pg_roles r WHERE has_schema_privilege(r.oid, 'scheduler_private', 'USAGE')"
        " AND NOT r.rolsuper AND r.rolname IN ('anon', 'authenticated', 'service_role', 'authenticator')")}
    assert users == {"authenticated", "service_role"}


def test_only_service_role_bypasses_rls(catalog):
    bypass = {r[0] for r in catalog.execute(
        "SELECT rolname FROM pg_roles WHERE rolbypassrls"
        " AND rolname IN ('anon', 'authenticated', 'service_role', 'authenticator')")}
    assert bypass == {"service_role"}


def test_the_api_roles_belong_to_no_other_role_and_authenticator_only_to_them(catalog):
    """A membership hands over privileges (to an INHERIT role, as Supabase's API roles are) or SET ROLE rights:
    anon, authenticated and service_role are members of nothing the kit does not expect, and authenticator may
    become exactly the API roles (pg_read_all_data or postgres would let a token's role claim reach far more)."""
    memberships = {}
    for member, role in catalog.execute(
            "SELECT m.rolname, g.rolname FROM pg_auth_members a JOIN pg_roles m ON m.oid = a.member"
            " JOIN pg_roles g ON g.oid = a.roleid"
            " WHERE m.rolname IN ('anon', 'authenticated', 'service_role', 'authenticator')"):
        memberships.setdefault(member, set()).add(role)
    # Supabase makes service_role a member of pgsodium_keyholder where pgsodium is installed; nothing else.
    memberships.get("service_role", set()).discard("pgsodium_keyholder")
    memberships = {member: roles for member, roles in memberships.items() if roles}
    assert memberships == {"authenticator": {"anon", "authenticated", "service_role"}}


def test_the_history_readers_keep_their_plans_small(catalog):
    """The readers' generic plans cannot see the LIMIT or the job: on a large history their estimates pass
    jit_above_cost (1.5-3 ms of compilation for a 0.03 ms page at 10,000,000 rows) and, left free to sort, they walk
    the all-jobs started_at index (the whole history for a job that stopped running). Each reader pins the settings
    that prevent both."""
    from scheduler_kit.model import HISTORY_PAGE_SIGNATURE, HISTORY_SIGNATURE, STATS_SIGNATURE

    expected = {HISTORY_SIGNATURE: {"jit=off", "enable_sort=off", "enable_incremental_sort=off"},
                HISTORY_PAGE_SIGNATURE: {"jit=off", "enable_sort=off", "enable_incremental_sort=off"},
                STATS_SIGNATURE: {"jit=off"}}
    missing = {}
    for signature, settings_needed in expected.items():
        (config,) = catalog.execute("SELECT proconfig FROM pg_proc WHERE oid = to_regprocedure(%s)",
                                    (signature,)).fetchone()
        if settings_needed - set(config or []):
            missing[signature] = sorted(settings_needed - set(config or []))
    assert not missing, missing
