"""The kit through the real Pulumi engine: a fresh database is brought up, a second preview finds nothing to do,
and destroy removes what up created."""

from __future__ import annotations

import subprocess

import psycopg

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
