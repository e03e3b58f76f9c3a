"""The plan's exact-privilege bookkeeping (pure logic): every object the kit creates gets exactly one Privileges
resource, after the object, and the derived ACLs (what the catalog tests compare against) are those resources'."""

from __future__ import annotations

from scheduler_kit.model import object_acls
from scheduler_kit.providers.admin_lookup import AdminLookupInputs, describe_writers
from scheduler_kit.model import _object_of
from scheduler_kit.providers.privileges import Privileges, PrivilegesProvider, expected_acl
from tests.support.plan import kit_plan


def plan_for(target: str):
    return kit_plan(target)


def test_every_object_has_exactly_one_privileges_resource_after_it():
    for target in ("postgres", "supabase"):
        plan = plan_for(target)
        objects = {_object_of(p): p.key for p in plan if _object_of(p)}
        resources = [p for p in plan if p.kind is Privileges]
        assert sorted((p.inputs.object_type, p.inputs.object) for p in resources) == sorted(objects), target
        for item in resources:
            assert objects[(item.inputs.object_type, item.inputs.object)] in item.after, item.key
            assert PrivilegesProvider().validate(item.inputs) == [], item.key
            assert object_acls(plan)[(item.inputs.object_type, item.inputs.object)] == expected_acl(item.inputs.grants)


def test_the_privileges_inputs_are_checked_field_by_field():
    provider = PrivilegesProvider()
    inputs = Privileges.provider_type.inputs_type
    assert provider.validate(inputs("view", "public.x", {})) == [
        "object_type: 'view' is not one of table, function, schema"]
    assert provider.validate(inputs("function", "public.f(integer)", {
        "anon": {"privileges": ["SELECT"], "columns": {}},
        "Robert'); drop": {"privileges": [], "columns": {}},
        "authenticated": {"privileges": ["EXECUTE"], "columns": {"UPDATE": ["x"]}}})) == [
        "grants: \"Robert'); drop\" is not a role name (lower case) or PUBLIC",
        "grants: anon: 'SELECT' does not apply to a function",
        "grants: authenticated: columns: only a table has columns"]
    assert provider.validate(inputs("table", "public.t", {"anon": {"privileges": [], "columns": {"DELETE": ["x"]}}})) \
        == ["grants: anon: columns: 'DELETE' is not a column privilege"]


def test_supabase_target_manages_the_privileges_of_the_kits_own_objects_only():
    objects = {name for _, name in object_acls(plan_for("supabase"))}
    assert "public.users" not in objects and "auth" not in objects and "auth.jwt()" not in objects
    assert {"public.job_schedules", "public.scheduled_jobs", "scheduler_private"} <= objects
    assert {"public.users", "auth", "auth.jwt()"} <= {name for _, name in object_acls(plan_for("postgres"))}


def test_derived_acls_hold_the_column_grants_and_no_empty_grantees():
    acls = object_acls(plan_for("postgres"))
    assert acls[("table", "public.job_schedules")]["authenticated"] == {
        "privileges": ["SELECT"], "columns": {"UPDATE": ["cron_expression", "enabled"]}}
    assert "PUBLIC" not in acls[("function", "public.update_job_schedule_stats()")]


def test_a_writable_admin_table_message_names_table_role_privilege_and_fix():
    message = describe_writers(
        AdminLookupInputs(table="public.users", id_column="clerk_user_id", role_column="role"),
        [{"role": "authenticated", "command": "UPDATE", "on_table": True, "columns": ["clerk_user_id", "role"],
          "open_because": "row level security is disabled on the table"}])
    assert "public.users" in message and "authenticated may UPDATE columns clerk_user_id, role" in message
    assert "REVOKE UPDATE ON public.users FROM authenticated;" in message
