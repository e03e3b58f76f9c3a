"""`target: supabase` deployed by the real engine into the Supabase-shaped profile, as the NON-superuser `postgres`:
the project's default privileges and any hand GRANT, to any role, on any kit object are revoked by `pulumi up`,
reported by `pulumi preview --refresh` and repaired by `pulumi up --refresh`; an admin lookup table that API callers
can write is refused at preview and at up, and by the `make sql` migration."""

from __future__ import annotations

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from psycopg import sql

from scheduler_kit.export_sql import build
from scheduler_kit.model import object_acls
from tests.support.acl import acl_differences
from tests.support.deploy import deployed_database
from tests.support.plan import kit_plan

# Every role of the Supabase-shaped cluster a privilege could be handed to, and every privilege by object type.
ROLES = ("PUBLIC", "anon", "authenticated", "service_role", "authenticator", "dashboard_user", "supabase_auth_admin",
         "supabase_storage_admin", "supabase_read_only_user", "supabase_replication_admin", "pg_read_all_data")
PRIVILEGES = {"table": ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"),
              "function": ("EXECUTE",), "schema": ("USAGE", "CREATE")}
PLAN = kit_plan("supabase")
OBJECTS = sorted(object_acls(PLAN))


@pytest.fixture(scope="module")
def supabase_stack(supabase_cluster):
    with deployed_database(supabase_cluster, "schedkit_supabase") as stack:
        yield stack


def grant_statement(object_type: str, name: str, privilege: str, role: str, column: str | None = None) -> sql.Composed:
    target = sql.SQL(name) if object_type == "function" else sql.Identifier(*name.split("."))
    grantee = sql.SQL("PUBLIC") if role == "PUBLIC" else sql.Identifier(role)
    columns = sql.SQL(" ({})").format(sql.Identifier(column)) if column else sql.SQL("")
    return sql.SQL("GRANT {}{} ON {} {} TO {}").format(sql.SQL(privilege), columns, sql.SQL(object_type.upper()),
                                                        target, grantee)


def exact_privileges(dsn: str) -> list[str]:
    """Differences between the live ACLs and the plan's, for every role (empty: exact)."""
    with psycopg.connect(dsn) as conn:
        return acl_differences(conn, PLAN)


def changed(result) -> dict:
    return {op: n for op, n in result.change_summary.items() if op != "same"}


def test_the_deployer_is_not_a_superuser_and_the_defaults_are_gone(supabase_stack):
    with psycopg.connect(supabase_stack.dsn) as conn:
        me = conn.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
        defaults = conn.execute("SELECT count(*) FROM pg_default_acl d JOIN pg_namespace n ON n.oid = d.defaclnamespace"
                                " WHERE n.nspname = 'public'").fetchone()[0]
    assert me == ("postgres", False)
    assert defaults > 0, "the profile lost Supabase's default privileges; the test would prove nothing"
    assert exact_privileges(supabase_stack.dsn) == []


def test_every_privilege_to_every_role_on_every_object_is_reported_and_removed(supabase_stack):
    with psycopg.connect(supabase_stack.admin_dsn, autocommit=True) as conn:
        for object_type, name in OBJECTS:
            for role in ROLES:
                conn.execute(grant_statement(object_type, name, "ALL", role))
        conn.execute(grant_statement("table", "public.job_schedules", "UPDATE", "authenticator", "total_runs"))
    assert exact_privileges(supabase_stack.dsn), "the grants changed nothing; the test would prove nothing"
    report = supabase_stack.preview(refresh=True, diff=True)
    assert changed(report).get("update", 0) >= len(OBJECTS), report.change_summary
    for object_type, name in OBJECTS:
        assert f"privileges-{object_type}-{name.split('(')[0]}" in report.stdout
    supabase_stack.up(refresh=True)
    assert exact_privileges(supabase_stack.dsn) == []
    assert changed(supabase_stack.preview(refresh=True, expect_no_changes=True)) == {}


@settings(max_examples=3, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(target=st.sampled_from(OBJECTS), role=st.sampled_from(ROLES), data=st.data())
def test_one_hand_grant_is_reported_on_its_object_and_removed(supabase_stack, target, role, data):
    object_type, name = target
    privilege = data.draw(st.sampled_from(PRIVILEGES[object_type]))
    planned = object_acls(PLAN)[target].get(role, {}).get("privileges", [])
    if privilege in planned:  # already granted by the plan: grant one it does not list instead
        privilege = next((p for p in PRIVILEGES[object_type] if p not in planned), None)
        if privilege is None:
            return
    with psycopg.connect(supabase_stack.admin_dsn, autocommit=True) as conn:
        conn.execute(grant_statement(object_type, name, privilege, role))
    report = supabase_stack.preview(refresh=True, diff=True)
    assert changed(report), f"GRANT {privilege} ON {name} TO {role} was not reported"
    supabase_stack.up(refresh=True)
    assert exact_privileges(supabase_stack.dsn) == []


OPENINGS = {
    "row level security disabled": ("ALTER TABLE public.users DISABLE ROW LEVEL SECURITY",
                                    "ALTER TABLE public.users ENABLE ROW LEVEL SECURITY", "authenticated", "UPDATE"),
    "a policy letting users update their own row": (
        "CREATE POLICY users_update_own ON public.users FOR UPDATE TO authenticated"
        " USING (clerk_user_id = auth.jwt() ->> 'sub')",
        "DROP POLICY users_update_own ON public.users", "authenticated", "UPDATE"),
    "an insert policy for everyone": (
        "CREATE POLICY users_sign_up ON public.users FOR INSERT WITH CHECK (true)",
        "DROP POLICY users_sign_up ON public.users", "anon", "INSERT"),
}


@pytest.mark.parametrize("opening", sorted(OPENINGS))
def test_a_writable_admin_lookup_table_is_refused(supabase_stack, opening):
    open_it, close_it, role, command = OPENINGS[opening]
    with psycopg.connect(supabase_stack.dsn, autocommit=True) as conn:
        conn.execute(open_it)
    try:
        for run in (supabase_stack.preview, supabase_stack.up):
            with pytest.raises(Exception) as failure:
                run()
            message = str(failure.value)
            assert "admin lookup table public.users is writable" in message, message[-2000:]
            assert f"{role} may {command}" in message and "REVOKE" in message, message[-2000:]
    finally:
        with psycopg.connect(supabase_stack.dsn, autocommit=True) as conn:
            conn.execute(close_it)
    assert changed(supabase_stack.preview(expect_no_changes=True)) == {}


def test_the_migration_file_refuses_a_writable_admin_lookup_table(supabase_cluster):
    database = supabase_cluster.create_database("schedkit_supabase_sql")
    try:
        with psycopg.connect(supabase_cluster.dsn_for(database), autocommit=True) as conn:
            conn.execute("ALTER TABLE public.users DISABLE ROW LEVEL SECURITY")
            with pytest.raises(psycopg.errors.RaiseException, match="admin lookup table public.users is writable"):
                conn.execute(build("supabase", protect_history=False))
            conn.execute("ROLLBACK")  # the migration's own transaction
            tables = conn.execute("SELECT to_regclass('public.job_schedules')").fetchone()[0]
        assert tables is None, "the failed migration left objects behind"
    finally:
        supabase_cluster.drop_database(database)
