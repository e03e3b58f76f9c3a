"""The policy pack's rules (policy-pack/guards.py) as pure logic; tests/slow/test_policy_pack.py runs them through
the engine. Here: the kit's own plan passes them, each rule refuses what it is for, and the pack's copies of the
kit's limits and grants are still the kit's."""

from __future__ import annotations

import dataclasses
import importlib.util
import json

import pytest

from scheduler_kit import grant_allowance, jobs_file
from scheduler_kit.policies import load_policies
from scheduler_kit.providers.privileges import Privileges
from tests.support.plan import kit_plan
from tests.support.toolchain import ROOT

_spec = importlib.util.spec_from_file_location("schedkit_policy_guards", ROOT / "policy-pack" / "guards.py")
guards = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(guards)
ALLOWANCE = guards.load_allowance()
URN = "urn:pulumi:{stack}::scheduler-kit::scheduler-kit:index:SchedulerDatabase$pulumi-python:dynamic/schedkit:Table::{name}"


def test_the_pinned_allowance_covers_the_kits_plan_on_both_targets():
    assert grant_allowance.exceeding(ALLOWANCE, grant_allowance.allowance()) == []
    for target in ("postgres", "supabase"):
        for item in kit_plan(target):
            if item.kind is Privileges:
                assert guards.privileges_within_allowance(item.key, dataclasses.asdict(item.inputs), ALLOWANCE) == []


def test_a_wider_grant_is_refused_naming_the_resource_and_the_privilege():
    props = {"grantee": "authenticated", "object_type": "table", "object": "public.job_schedules",
             "privileges": ["SELECT", "DELETE"], "column_privileges": {"UPDATE": ["enabled", "total_runs"]}}
    found = guards.grant_within_allowance("grant-x", props, ALLOWANCE)
    assert len(found) == 2
    assert found[0].startswith("grant-x: table public.job_schedules to authenticated: grants DELETE,")
    assert found[1].startswith("grant-x: table public.job_schedules to authenticated: grants UPDATE (total_runs),")
    stranger = {**props, "grantee": "dashboard_user", "privileges": ["SELECT"], "column_privileges": {}}
    assert "lists no grant of table public.job_schedules to dashboard_user" in \
        guards.grant_within_allowance("grant-y", stranger, ALLOWANCE)[0]


def test_a_privileges_resource_is_checked_grantee_by_grantee():
    props = {"object_type": "table", "object": "public.job_schedules", "grants": {
        "PUBLIC": {"privileges": [], "columns": {}},
        "anon": {"privileges": ["SELECT"], "columns": {}},
        "authenticated": {"privileges": ["SELECT"], "columns": {"UPDATE": ["enabled", "total_runs"]}},
        "service_role": {"privileges": ["DELETE", "INSERT", "SELECT", "UPDATE"], "columns": {}}}}
    found = guards.privileges_within_allowance("privileges-table-public.job_schedules", props, ALLOWANCE)
    assert [line.split(", which")[0] for line in found] == [
        "privileges-table-public.job_schedules: table public.job_schedules to anon: grants SELECT",
        "privileges-table-public.job_schedules: table public.job_schedules to authenticated: grants UPDATE (total_runs)"]


@pytest.mark.parametrize("stack, protect, drop, expected", [
    ("local", False, True, 0), ("staging", True, False, 0), ("staging", False, False, 1), ("staging", True, True, 1),
    ("prod", False, True, 1)])
def test_history_tables_are_protected_and_retained_on_every_stack_but_local(stack, protect, drop, expected):
    found = guards.history_protection(URN.format(stack=stack, name="table-scheduled_jobs"), "table-scheduled_jobs",
                                      {"drop_on_delete": drop}, protect)
    assert len(found) == expected
    assert guards.history_protection(URN.format(stack=stack, name="table-job_execution_rollups"),
                                     "table-job_execution_rollups", {"drop_on_delete": True}, False) == []


@pytest.mark.parametrize("config, refused", [
    ({"scheduler-kit:target": "supabase", "scheduler-kit:sslmode": "disable"}, True),
    ({"scheduler-kit:target": "supabase", "scheduler-kit:sslmode": "prefer"}, True),
    ({"scheduler-kit:target": "supabase", "scheduler-kit:sslmode": "require"}, False),
    ({"scheduler-kit:target": "supabase", "scheduler-kit:sslmode": "verify-full"}, False),
    ({"scheduler-kit:target": "supabase"}, False),  # the kit's default there is require
    ({"scheduler-kit:target": "postgres", "scheduler-kit:sslmode": "disable"}, False), ({}, False)])
def test_a_supabase_target_uses_tls(config, refused):
    assert bool(guards.tls("staging", config)) == refused


def test_the_target_and_sslmode_are_read_from_the_programs_exports_when_there_is_no_config():
    outputs = {"target": "supabase", "database": "postgres@db.x.supabase.co:5432/postgres (sslmode=disable)"}
    assert guards.config_from_stack_outputs(outputs) == {"scheduler-kit:target": "supabase",
                                                         "scheduler-kit:sslmode": "disable"}


def test_every_admin_check_of_the_policy_file_is_in_a_sub_select_and_a_bare_one_is_refused():
    for policy in load_policies():
        assert guards.admin_checks_wrapped(policy.name, dataclasses.asdict(policy)) == []
    bare = {"name": "p", "using": "current_user = 'service_role' or scheduler_private.is_admin()"}
    assert "USING calls is_admin() outside a sub-select" in guards.admin_checks_wrapped("policy-p", bare)[0]
    inner = {"name": "p", "using": "current_user = 'service_role' or (SELECT scheduler_private.is_admin())",
             "with_check": "(select scheduler_private.is_admin()) and scheduler_private.is_admin()"}
    found = guards.admin_checks_wrapped("policy-p", inner)
    assert len(found) == 1 and "WITH_CHECK" in found[0]


def _nested(levels: int) -> dict:
    value: dict = {}
    for _ in range(levels - 1):
        value = {"k": value}
    return value


@pytest.mark.parametrize("levels", [19, 20, 21, 22])
def test_the_config_depth_limit_is_the_jobs_files(levels):
    config = _nested(levels)
    kit_refuses = any(True for _ in jobs_file._config_problems(config, ["config"]))
    assert bool(guards.job_limits("job-x", {"config": config})) == kit_refuses


def test_the_packs_limits_are_the_jobs_files():
    assert (guards.MAX_CONFIG_BYTES, guards.MAX_CONFIG_DEPTH) == (jobs_file.MAX_CONFIG_BYTES, jobs_file.MAX_CONFIG_DEPTH)
    schema = json.loads((ROOT / "jobs.schema.json").read_text())
    assert guards.MAX_JOBS == schema["properties"]["jobs"]["maxItems"]
    big = {"blob": "x" * guards.MAX_CONFIG_BYTES}
    assert "more than the jobs file's limit of 65536" in guards.job_limits("job-x", {"config": big})[0]
    assert guards.job_count(f"job-{i}" for i in range(1000)) == []
    assert guards.job_count(f"job-{i}" for i in range(1001))
