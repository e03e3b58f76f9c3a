"""`make sql`'s migration file, run with psql on the users' database (docs/adopting.md): rows that break the kit's
rules stop it before it changes anything, in one message naming every broken rule with its count; with
`make sql KEEP_INVALID_ROWS=true` the same database takes the file, the broken rules stay NOT VALID and the history
is kept as it was, while new rows are checked. On both profiles, each with its own target's file."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest

from scheduler_kit.export_sql import build
from tests.adoption import legacy_db
from tests.adoption.legacy_db import BROKEN_CONSTRAINTS, BROKEN_RULES
from tests.adoption.test_adoption import number_pattern, observe, unchanged
from tests.support.catalog_snapshot import (VALIDATED, differences, kept_not_valid, reference_database, snapshot,
                                            users_columns)
from tests.support.plan import kit_plan
from tests.support.exact_stats import stats_mismatches

pytestmark = pytest.mark.slow
PSQL = shutil.which("psql") or "/usr/lib/postgresql/15/bin/psql"


def run_file(dsn: str, text: str, tmp_path: Path) -> subprocess.CompletedProcess:
    path = tmp_path / "scheduler.sql"
    path.write_text(text, encoding="utf-8")
    # As a user runs it: no psqlrc, stop at the first error (the file is one transaction).
    return subprocess.run([PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", str(path)],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "PGCONNECT_TIMEOUT": "10"})


def convalidated(dsn: str) -> dict[str, bool]:
    with psycopg.connect(dsn) as conn:
        return dict(conn.execute("SELECT conname, convalidated FROM pg_constraint"
                                 " WHERE conrelid = 'public.scheduled_jobs'::regclass AND contype = 'c'").fetchall())


def test_the_migration_file_refuses_broken_rows_with_every_rule_and_changes_nothing(profile_cluster, tmp_path):
    with legacy_db.legacy_database(profile_cluster, bad_rows=True) as legacy:
        before = observe(legacy.dsn)
        assert {rule: len(rows) for rule, rows in before.broken.items()} == BROKEN_RULES  # the bed is as built
        run = run_file(legacy.dsn, build(profile_cluster.target, protect_history=False), tmp_path)
        assert run.returncode != 0, f"the migration file applied over rows that break the kit's rules:\n{run.stderr}"
        problems = [f"psql's error does not name {rule} with its count {BROKEN_RULES[rule]}"
                    for rule in BROKEN_CONSTRAINTS
                    if not re.search(rf"\b{rule}\b.*?{number_pattern(BROKEN_RULES[rule])}", run.stderr)]
        if "keep-invalid-rows" not in run.stderr and "KEEP_INVALID_ROWS" not in run.stderr:
            problems.append("the refusal does not say how to keep the old rows (KEEP_INVALID_ROWS=true)")
        problems += unchanged(before, observe(legacy.dsn), "the refused migration file")
        assert not problems, "\n".join(problems) + f"\n--- psql said:\n{run.stderr}"


def test_the_migration_file_keeps_broken_rows_not_valid_when_asked(profile_cluster, tmp_path):
    with legacy_db.legacy_database(profile_cluster, bad_rows=True) as legacy:
        before = observe(legacy.dsn)
        text = build(profile_cluster.target, protect_history=False, keep_invalid_rows=True)
        run = run_file(legacy.dsn, text, tmp_path)
        assert run.returncode == 0, f"the file with --keep-invalid-rows failed:\n{run.stderr}"
        validated = convalidated(legacy.dsn)
        assert {c: validated.get(c) for c in BROKEN_CONSTRAINTS} == {c: False for c in BROKEN_CONSTRAINTS}
        assert sorted(c for c, ok in validated.items() if not ok and c not in BROKEN_CONSTRAINTS) == [], \
            "constraints no old row breaks were left NOT VALID too"
        with psycopg.connect(legacy.dsn) as conn:
            assert legacy_db.history_fingerprint(conn) == before.history, "the file changed the history"
            assert legacy_db.statistics_problems(conn) == [], "the statistics of the kept history"
            with pytest.raises(psycopg.errors.CheckViolation, match="scheduled_jobs_status_check"):
                conn.execute("INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at)"
                             " VALUES ('hourly-sync', 'cancelled', now(), now())")
            conn.rollback()
            # The definitions audit (tests/policy/test_catalog_definitions.py) takes the kept constraints and a column
            # of the users' as their choices, with the rows that break each; a column the kit's inserts cannot fill
            # stays a difference.
            conn.execute("ALTER TABLE public.scheduled_jobs ADD COLUMN worker_host text,"
                         " ADD COLUMN shard integer NOT NULL DEFAULT 0, ADD COLUMN tenant text NOT NULL DEFAULT 'acme'")
            conn.execute("ALTER TABLE public.scheduled_jobs ALTER COLUMN tenant DROP DEFAULT")
            conn.commit()
            plan = kit_plan(profile_cluster.target)
            with reference_database(legacy.dsn) as reference, psycopg.connect(reference) as empty:
                planned = snapshot(empty, plan)
            live = snapshot(conn, plan)
            kept = kept_not_valid(conn, planned, live)
            assert {obj.rsplit(".", 1)[1]: rows for obj, rows in kept.items()} == \
                {c: BROKEN_RULES[c] for c in BROKEN_CONSTRAINTS}
            columns = users_columns(planned, live)
            assert sorted(obj.rsplit(".", 1)[1] for obj in columns) == ["shard", "worker_host"]
            left = differences(planned, live, explained=frozenset(kept) | frozenset(columns))
            assert [line for line in left if "tenant" in line] and not [line for line in left if VALIDATED in line], left
            conn.execute("ALTER TABLE public.scheduled_jobs DROP COLUMN worker_host, DROP COLUMN shard,"
                         " DROP COLUMN tenant")
            conn.commit()
            # Once the rows are fixed, the same file run again validates what it kept.
            conn.execute((legacy_db.SQL_DIR / "fix_bad_rows.sql").read_text(encoding="utf-8"))
            conn.commit()
        again = run_file(legacy.dsn, text, tmp_path)
        assert again.returncode == 0, again.stderr
        with psycopg.connect(legacy.dsn) as conn:
            assert legacy_db.statistics_problems(conn, lifetime=(legacy_db.RENAMED_BY_THE_FIX,)) == [], \
                "the statistics once the rows were fixed"
        validated = convalidated(legacy.dsn)
        assert {c: validated.get(c) for c in BROKEN_CONSTRAINTS} == {c: True for c in BROKEN_CONSTRAINTS}


def not_null(dsn: str, *columns: str) -> dict[str, bool]:
    with psycopg.connect(dsn) as conn:
        return dict(conn.execute("SELECT attname::text, attnotnull FROM pg_attribute"
                                 " WHERE attrelid = 'public.scheduled_jobs'::regclass AND attname = ANY(%s)",
                                 (list(columns),)).fetchall())


def test_the_migration_file_keeps_executions_without_a_start_or_a_job(profile_cluster, tmp_path):
    """A history whose started_at and job_name were nullable, with a finished execution lacking each: kept NOT VALID,
    the run without a start is in the statistics of all time (the rollups' day '-infinity') and in no window, the
    one without a job in no job's; fixing them (a start given, the jobless one deleted) moves the statistics through
    the trigger's correction and delete paths (the jobless one cannot be given a job instead), and the file run again
    makes both columns NOT NULL."""
    with legacy_db.legacy_database(profile_cluster) as legacy:
        with psycopg.connect(legacy.dsn, autocommit=True) as conn:
            conn.execute("ALTER TABLE public.scheduled_jobs ALTER COLUMN started_at DROP NOT NULL,"
                         " ALTER COLUMN job_name DROP NOT NULL")
            conn.execute("SET ROLE service_role")  # as the service wrote them, through the seed's trigger
            conn.execute("INSERT INTO public.scheduled_jobs (job_name, job_type, status, started_at, completed_at,"
                         " duration_ms) VALUES ('hourly-sync', 'scheduled', 'completed', NULL, now(), 987654),"
                         " (NULL, 'scheduled', 'failed', now(), now(), 5)")
        text = build(profile_cluster.target, protect_history=False, keep_invalid_rows=True)
        run = run_file(legacy.dsn, text, tmp_path)
        assert run.returncode == 0, f"the file with --keep-invalid-rows failed:\n{run.stderr}"
        with psycopg.connect(legacy.dsn) as conn:
            assert legacy_db.statistics_problems(conn) == [], "the statistics of the kept history"
            since = conn.execute("SELECT min(started_at) FROM public.scheduled_jobs").fetchone()[0]
            assert stats_mismatches(conn, "hourly-sync", since) == [], "a window's statistics"
            longest = "SELECT max_duration_ms FROM public.get_job_execution_stats('hourly-sync', %s)"
            assert conn.execute(longest, (None,)).fetchone()[0] == 987654, "the run without a start, of all time"
            assert conn.execute(longest, (since,)).fetchone()[0] != 987654, "the run without a start, in a window"
            # A finished execution kept without a job cannot be given one (docs/adopting.md): deleted or left.
            with pytest.raises(psycopg.errors.CheckViolation, match="its job_name cannot change from <NULL> to"):
                with conn.transaction():
                    conn.execute("UPDATE public.scheduled_jobs SET job_name = 'hourly-sync' WHERE job_name IS NULL")
            conn.execute("UPDATE public.scheduled_jobs SET started_at = completed_at WHERE started_at IS NULL")
            conn.execute("DELETE FROM public.scheduled_jobs WHERE job_name IS NULL")
            conn.commit()
            assert legacy_db.statistics_problems(conn) == [], "the statistics once the rows were fixed"
        again = run_file(legacy.dsn, text, tmp_path)
        assert again.returncode == 0, again.stderr
        assert not_null(legacy.dsn, "started_at", "job_name") == {"started_at": True, "job_name": True}
