"""The audit trail outlives the stack: on a stack with protectHistory (every stack but `local`), destroy fails on
the history tables and leaves every row; the documented removal (unprotect, protectHistory false, up, destroy) works."""

from __future__ import annotations

import subprocess

import psycopg
import pytest
from pulumi import automation as auto

from tests.support.deploy import stack_for
from tests.support.toolchain import ROOT


def unprotect(stack, check: bool = True) -> None:
    subprocess.run(["pulumi", "state", "unprotect", "--all", "--yes", "--stack", stack.stack.name],
                   cwd=ROOT, check=check, capture_output=True)


def history_rows(dsn) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT count(*) FROM public.scheduled_jobs").fetchone()[0]


def test_destroy_cannot_drop_history_on_a_protected_stack(cluster):
    database = cluster.create_database()
    stack = stack_for(cluster, database, {"protectHistory": "true"})
    try:
        stack.up()
        with psycopg.connect(stack.dsn) as conn:
            conn.execute("INSERT INTO public.scheduled_jobs (job_name) SELECT 'weekly-digest' FROM generate_series(1, 5)")

        with pytest.raises(auto.CommandError) as failure:
            stack.destroy()
        assert "protected" in str(failure.value)
        assert history_rows(stack.dsn) == 5

        # The deliberate way, as docs/targeting-databases.md documents it.
        unprotect(stack)
        stack.stack.set_config("scheduler-kit:protectHistory", auto.ConfigValue("false"))
        stack.up()
        stack.destroy()
        with psycopg.connect(stack.dsn) as conn:
            assert conn.execute("SELECT to_regclass('public.scheduled_jobs')").fetchone()[0] is None
    finally:
        unprotect(stack, check=False)
        stack.remove()
        cluster.drop_database(database)


def test_retained_tables_keep_history_when_unprotected_but_still_retained(cluster):
    """Unprotecting alone (say, by a refactor that renames the resource) still leaves the rows: retain_on_delete."""
    database = cluster.create_database()
    stack = stack_for(cluster, database, {"protectHistory": "true"})
    try:
        stack.up()
        with psycopg.connect(stack.dsn) as conn:
            conn.execute("INSERT INTO public.scheduled_jobs (job_name) VALUES ('weekly-digest')")
        unprotect(stack)
        stack.destroy()
        assert history_rows(stack.dsn) == 1
    finally:
        stack.remove()
        cluster.drop_database(database)
