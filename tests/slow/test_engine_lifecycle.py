"""The kit through the real Pulumi engine: a fresh database is brought up, a second preview finds nothing to do,
and destroy removes what up created."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest

from tests.support.deploy import stack_for
from tests.support.toolchain import ROOT

EXPECTED_POLICIES = {
    ("job_schedules", "job_schedules_select_admin_service", "SELECT"),
    ("job_schedules", "job_schedules_insert_service", "INSERT"),
    ("job_schedules", "job_schedules_update_admin_service", "UPDATE"),
    ("job_schedules", "job_schedules_delete_service", "DELETE"),
    ("scheduled_jobs", "scheduled_jobs_select_admin_service", "SELECT"),
    ("scheduled_jobs", "scheduled_jobs_insert_service", "INSERT"),
    ("scheduled_jobs", "scheduled_jobs_update_service", "UPDATE"),
    ("scheduled_jobs", "scheduled_jobs_delete_service", "DELETE"),
    ("job_execution_rollups", "job_execution_rollups_select_admin_service", "SELECT"),
    ("job_execution_rollups", "job_execution_rollups_insert_service", "INSERT"),
    ("job_execution_rollups", "job_execution_rollups_update_service", "UPDATE"),
    ("job_execution_rollups", "job_execution_rollups_delete_service", "DELETE"),
}


def catalog(dsn: str) -> dict:
    with psycopg.connect(dsn) as conn:
        tables = {r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        policies = set(conn.execute(
            "SELECT tablename, policyname, cmd FROM pg_policies WHERE schemaname = 'public'").fetchall())
        functions = {r[0] for r in conn.execute(
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname IN ('public', 'auth', 'scheduler_private')")}
        schemas = {r[0] for r in conn.execute("SELECT nspname FROM pg_namespace")}
    return dict(tables=tables, policies=policies, functions=functions, schemas=schemas)


def test_up_then_no_changes_then_destroy(cluster):
    database = cluster.create_database()
    stack = stack_for(cluster, database)
    try:
        result = stack.up()
        assert result.summary.result == "succeeded"
        created = catalog(stack.dsn)
        assert {"job_schedules", "scheduled_jobs", "job_execution_rollups", "users"} <= created["tables"]
        assert created["policies"] == EXPECTED_POLICIES
        assert {"get_job_execution_history", "get_job_execution_history_page", "get_job_execution_stats",
                "purge_job_execution_history", "update_job_schedule_stats", "jwt", "is_admin"} <= created["functions"]

        # The database password is a secret: encrypted in state, never in clear text.
        password = cluster.params()["password"]
        # (The Automation API's export decrypts secrets; the CLI's plain export shows the state as stored.)
        state = subprocess.run(["pulumi", "stack", "export", "--stack", stack.stack.name], cwd=ROOT,
                               check=True, capture_output=True, text=True).stdout
        assert password not in state and "ciphertext" in state

        preview = stack.preview(expect_no_changes=True)
        changes = {op: n for op, n in preview.change_summary.items() if op != "same"}
        assert changes == {}, f"a preview right after up proposed changes: {changes}"

        stack.destroy()
        gone = catalog(stack.dsn)
        assert not ({"job_schedules", "scheduled_jobs", "job_execution_rollups", "users"} & gone["tables"])
        assert gone["policies"] == set()
        assert not ({"auth", "scheduler_private"} & gone["schemas"])
    finally:
        stack.remove()
        cluster.drop_database(database)


def engine_log(stack, monkeypatch: pytest.MonkeyPatch, **env: str) -> list[dict]:
    """A preview's engine log (-v=9, JSON lines), with `env` set for the engine and the processes it starts."""
    with monkeypatch.context() as patched:
        for name, value in env.items():
            patched.setenv(name, value)
        result = stack.preview(log_to_std_err=True, log_verbosity=9)
    return [json.loads(line) for line in result.stderr.splitlines() if line.startswith('{"time"')]


def first(log: list[dict], needle: str) -> int:
    return next(i for i, line in enumerate(log) if needle in line.get("msg", ""))


def test_the_dynamic_provider_starts_before_the_first_registration_and_both_processes_exit_through_the_kit(deployed, monkeypatch):
    """scheduler_kit/provider_warmup.py and quick_exit.py, in the real engine's own log. The warm-up's request makes
    the engine launch the dynamic provider before the program registers anything (without it, after); and the hooks quick_exit relies on are what the toolchain runs: the language host script ends with a
    top-level `sys.exit(exit_code)`, and the provider shim runs `python -m pulumi.dynamic`."""
    # The program's first registration is its stack's; without the warm-up, the provider starts after it.
    launched, registered = "Launching plugin 'pulumi-python (resource)'", "RegisterResource received: t=pulumi:pulumi:Stack"
    with_warmup = engine_log(deployed.stack, monkeypatch)
    without = engine_log(deployed.stack, monkeypatch, SCHEDKIT_PROVIDER_WARMUP="0")
    assert first(with_warmup, launched) < first(with_warmup, registered)
    assert first(without, launched) > first(without, registered)
    assert not [line for line in with_warmup if line.get("level") == "ERROR"]

    bin_dir = Path(shutil.which("pulumi-language-python-exec") or "").parent
    script = (bin_dir / "pulumi-language-python-exec").read_text(encoding="utf-8")
    assert re.search(r"^if __name__ == \"__main__\":$(.|\n)*^    sys\.exit\(exit_code\)\s*\Z", script, re.M), \
        "the language host script no longer ends with a top-level sys.exit(exit_code): quick_exit's hook is idle"
    assert "-m pulumi.dynamic" in (bin_dir / "pulumi-resource-pulumi-python").read_text(encoding="utf-8")
