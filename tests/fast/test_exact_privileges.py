"""The plan's exact-privilege bookkeeping (pure logic): every object the kit creates gets one sweep that lists
exactly the grantees of its Grant resources, and the derived ACLs are what the catalog tests compare against."""

from __future__ import annotations

from scheduler_kit.model import object_acls
from scheduler_kit.providers.admin_lookup import AdminLookupInputs, describe_writers
from scheduler_kit.providers.grant import Grant
from scheduler_kit.providers.privileges import UnlistedPrivileges
from tests.support.plan import kit_plan


def plan_for(target: str):
    return kit_plan(target)


def test_every_object_has_one_sweep_listing_exactly_its_grantees():
    for target in ("postgres", "supabase"):
        plan = plan_for(target)
        sweeps = {(p.inputs.object_type, p.inputs.object): p for p in plan if p.kind is UnlistedPrivileges}
        assert set(sweeps) == set(object_acls(plan)), target
        for (object_type, name), sweep in sweeps.items():
            grantees = {p.inputs.grantee for p in plan
                        if p.kind is Grant and (p.inputs.object_type, p.inputs.object) == (object_type, name)}
            assert set(sweep.inputs.listed) == grantees, name
            grant_keys = {p.key for p in plan if p.kind is Grant and p.inputs.grantee in grantees
                          and (p.inputs.object_type, p.inputs.object) == (object_type, name)}
            assert grant_keys <= set(sweep.after), f"{name}: the sweep must come after the object's grants"


def test_supabase_target_sweeps_only_the_kits_own_objects():
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
