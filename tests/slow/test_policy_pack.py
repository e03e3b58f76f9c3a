"""The CrossGuard policy pack (policy-pack/) through the real engine: `pulumi preview --policy-pack` with the pack's
analyzer executable. A default stack passes; each mandatory policy stops a preview that breaks it, with its own
message naming the resource (tests/fast/test_policy_pack_guards.py checks each rule alone). Previews only: nothing
is deployed, and three engine runs cover every rule."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from pulumi import automation as auto

from tests.support.deploy import stack_for
from tests.support.toolchain import ROOT

PACK = str(ROOT / "policy-pack" / "analyzer")


@pytest.fixture(scope="module")
def database(cluster):
    name = cluster.create_database("schedkit_pack")
    yield name
    cluster.drop_database(name)


def preview_output(stack) -> tuple[bool, str]:
    """(passed, everything the CLI printed) of one preview with the pack."""
    try:
        result = stack.stack.preview(color="never", policy_packs=[PACK])
        return True, result.stdout + result.stderr
    except auto.CommandError as error:
        return False, str(error)


@pytest.fixture
def remove_after():
    stacks = []
    yield stacks.append
    for stack in stacks:
        stack.remove()


def test_a_default_stack_passes_the_pack(cluster, database, remove_after):
    stack = stack_for(cluster, database, {"protectHistory": "true"})  # a non-local stack as it is by default
    remove_after(stack)
    passed, output = preview_output(stack)
    assert passed, output[-3000:]
    assert "Loading policy packs" in output  # the pack ran, and found nothing (the tests below show it speaks)


def test_supabase_without_tls_stops_the_preview(supabase_cluster, remove_after):
    database = supabase_cluster.create_database("schedkit_pack")
    try:
        stack = stack_for(supabase_cluster, database, {"protectHistory": "true"})  # sslmode disable: a local cluster
        remove_after(stack)
        passed, output = preview_output(stack)
    finally:
        supabase_cluster.drop_database(database)
    assert not passed
    assert "supabase-tls-and-job-count" in output
    assert f"stack 'test-{database}' targets supabase with scheduler-kit:sslmode 'disable'" in output
    assert "history-protected-and-retained" not in output  # only the rule broken here speaks


EDITS = {
    # A hand edit of the plan that widens a grant: the pack's pinned allowance does not follow model.py.
    "scheduler_kit/model.py": [(
        '"public.scheduled_jobs": {"PUBLIC": [], "anon": [], "authenticated": ["SELECT"], "service_role": WRITE},',
        '"public.scheduled_jobs": {"PUBLIC": [], "anon": [], "authenticated": ["SELECT", "DELETE"], '
        '"service_role": WRITE},')],
    # An admin check no longer in a sub-select (PostgreSQL would run it for every row).
    "policies/scheduler_rls.yaml": [(
        "    command: SELECT\n    roles: [authenticated, service_role]\n"
        "    using: (select current_user = 'service_role' or scheduler_private.is_admin())\n"
        "    comment: Admins can view job configurations;",
        "    command: SELECT\n    roles: [authenticated, service_role]\n"
        "    using: current_user = 'service_role' or scheduler_private.is_admin()\n"
        "    comment: Admins can view job configurations;")],
    # A fork that loosened the jobs file's validation: the pack keeps the limit.
    "scheduler_kit/jobs_file.py": [("MAX_CONFIG_DEPTH = 20", "MAX_CONFIG_DEPTH = 99")],
}


def _edited_kit(into: Path) -> Path:
    for name in ("Pulumi.yaml", "__main__.py", "jobs.schema.json"):
        shutil.copy2(ROOT / name, into / name)
    (into / ".venv").symlink_to(ROOT / ".venv")  # the dynamic-provider plugin finds Python through it
    for folder in ("scheduler_kit", "policies"):
        shutil.copytree(ROOT / folder, into / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for path, pairs in EDITS.items():
        text = (into / path).read_text()
        for old, new in pairs:
            assert text.count(old) == 1, f"{path}: the edit no longer applies; update EDITS"
            text = text.replace(old, new)
        (into / path).write_text(text)
    deep: dict = {}
    for _ in range(25):
        deep = {"level": deep}
    jobs = {"jobs": [{"name": "deep-config", "cron": "@daily", "service": "svc", "endpoint": "/deep", "config": deep}]}
    (into / "jobs.yaml").write_text(json.dumps(jobs))  # JSON is YAML
    return into


def test_each_resource_policy_names_what_the_edited_kit_breaks(cluster, database, tmp_path, remove_after):
    """One preview (an engine run costs about 20 s here) of a shared stack without history protection, of a kit
    edited three ways: each rule reports its own resources (the program and its dynamic providers import the edited
    copy through PYTHONPATH). The two previews above show the same rules silent on an unbroken stack."""
    kit = _edited_kit(tmp_path)
    stack = stack_for(cluster, database, {"jobsFile": str(kit / "jobs.yaml")},  # protectHistory false, as in tests
                      work_dir=kit, env_vars={"PYTHONPATH": str(kit)})
    remove_after(stack)
    passed, output = preview_output(stack)
    assert not passed
    flat = " ".join(output.split())
    assert ("privileges-table-public.scheduled_jobs: table public.scheduled_jobs to authenticated: grants "
            "DELETE, which the allowance does not allow (allowed: SELECT)") in flat
    assert ("policy-job_schedules_select_admin_service: policy job_schedules_select_admin_service USING calls "
            "is_admin() outside a sub-select") in flat
    assert "job-deep-config: config nests 25 levels deep, more than the jobs file's limit of 20" in flat
    for table in ("table-job_schedules (public.job_schedules)", "table-scheduled_jobs (public.scheduled_jobs)"):
        assert f"{table} on stack 'test-{database}' is not protected and not retained on delete" in flat
    for policy in ("history-protected-and-retained", "grants-within-the-plan", "admin-checks-in-a-subselect",
                   "job-limits"):
        assert policy in flat
    assert "supabase-tls-and-job-count" not in flat
