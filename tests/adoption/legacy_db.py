"""The users' database: the seed's migration 035_add_rls_to_scheduler_tables.sql as a Supabase user applied it, with
months of history written through the seed's own trigger, in a fresh database of either profile of
tests/support/cluster.py. The kit's adoption is tested against it (tests/adoption/test_adoption.py) and timed on it
(bench/adoption_bench.py).

- profile `postgres`: the cluster's superuser first creates what Supabase would have (sql/supabase_platform.sql),
  then runs the migrations as itself;
- profile `supabase`: a copy of the shaped template (platform, default privileges, users table), the migrations
  run as the non-superuser `postgres`, which is what a user runs migrations as.

Then the services' writes, as service_role: the job rows (sql/jobs.sql), the history (sql/history.sql) and, when
asked, rows that break the kit's rules (sql/bad_rows.sql). `shape` picks the migration's details: `base` is the seed
as typically typed; `variant` has other column types, a policy, a trigger and helper signatures the seed does not
describe (sql/variant_later_migrations.sql), because the real migration may differ and the kit must handle what it
finds. The helpers below read a database the same way before and after adoption, for the tests to compare.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Optional

import psycopg
from psycopg import sql

from scheduler_kit.cron import CRON_PATTERN
from scheduler_kit.jobs_file import NOT_BLANK_PATTERN
from tests.support.database_snapshot import database_snapshot, snapshot_difference  # noqa: F401 (re-exported)
from scheduler_kit.db import render
from tests.support.cluster import Cluster
from tests.support.exact_stats import rollup_mismatches, stats_mismatches

SQL_DIR = Path(__file__).with_name("sql")
DEFAULT_EXECUTIONS = 5_000
# Executions per transaction while writing history: the seed's trigger updates the job's row once per execution,
# and those row versions pile up within a transaction (cost per write grows with the batch).
BATCH = 2_000


@dataclass(frozen=True)
class Shape:
    """The column types the hand-written migration chose, and whether later migrations changed the design."""
    timestamp: str
    name: str
    duration: str
    later_migrations: bool


SHAPES = {
    "base": Shape(timestamp="timestamptz", name="text", duration="integer", later_migrations=False),
    "variant": Shape(timestamp="timestamp", name="varchar(255)", duration="bigint", later_migrations=True),
}

# What sql/bad_rows.sql breaks: each rule of the kit (constraint or definition rule name) and how many rows.
BROKEN_RULES = {
    "scheduled_jobs_status_check": 3,
    "scheduled_jobs_completed_after_started": 2,
    "scheduled_jobs_finished_has_completed_at": 2,
    "scheduled_jobs_counts_non_negative": 2,
    "job_schedules_job_name_format": 1,
    "job_schedules_cron_expression_valid": 1,
    "job_schedules_endpoint_not_blank": 1,
}
# The rules that are CHECK constraints in the kit (the others are its definition-rule trigger's).
BROKEN_CONSTRAINTS = tuple(rule for rule in BROKEN_RULES if rule.startswith("scheduled_jobs_"))
SEED_POLICIES = (
    "job_schedules_select_admin_service", "job_schedules_insert_service", "job_schedules_update_admin_service",
    "job_schedules_delete_service", "scheduled_jobs_select_admin_service", "scheduled_jobs_insert_service",
    "scheduled_jobs_update_service", "scheduled_jobs_delete_service",
)
# Jobs with a row in job_schedules in the clean database (the history also has legacy-export, whose row is gone).
CLEAN_JOBS = ("backup-verify", "cache-warmup", "daily-cleanup", "hourly-sync", "invoice-run", "report-builder",
              "search-reindex", "session-reaper", "webhook-retry", "weekly-digest")


def _sql(name: str) -> str:
    return (SQL_DIR / name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class LegacyDatabase:
    cluster: Cluster
    name: str
    shape: str
    bad_rows: bool
    executions: int
    build_seconds: float

    @property
    def dsn(self) -> str:
        """The role a user deploys as (superuser postgres, or Supabase's demoted postgres)."""
        return self.cluster.dsn_for(self.name)

    @property
    def actor_dsn(self) -> str:
        return self.cluster.actor_dsn_for(self.name)

    @property
    def admin_dsn(self) -> str:
        return self.cluster.admin_dsn_for(self.name)


def build_legacy_database(cluster: Cluster, *, shape: str = "base", bad_rows: bool = False,
                          executions: int = DEFAULT_EXECUTIONS, prefix: str = "schedkit_legacy",
                          end: Optional[datetime] = None) -> LegacyDatabase:
    """A new database of `cluster` holding the users' design and history; the caller drops it
    (cluster.drop_database)."""
    if shape not in SHAPES:
        raise ValueError(f"shape {shape!r}: use one of {', '.join(SHAPES)}")
    started = time.monotonic()
    name = cluster.create_database(prefix)
    try:
        apply_legacy_design(cluster, name, shape=shape, bad_rows=bad_rows, executions=executions, end=end)
    except BaseException:
        cluster.drop_database(name)
        raise
    return LegacyDatabase(cluster, name, shape, bad_rows, executions, time.monotonic() - started)


def apply_legacy_design(cluster: Cluster, database: str, *, shape: str = "base", bad_rows: bool = False,
                        executions: int = DEFAULT_EXECUTIONS, end: Optional[datetime] = None) -> None:
    """Applies the platform (postgres profile only), the migrations and the services' writes to `database`."""
    types = SHAPES[shape]
    newest = (end or datetime.now(timezone.utc)).replace(second=0, microsecond=0)
    with psycopg.connect(cluster.dsn_for(database), autocommit=True) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        # What a migration tool runs with: unqualified names land in public.
        conn.execute("SET search_path = public")
        if cluster.profile == "postgres":
            conn.execute(_sql("supabase_platform.sql"))
        conn.execute(render(_sql("scheduler_tables.sql"), timestamp=sql.SQL(types.timestamp),
                            name=sql.SQL(types.name), duration=sql.SQL(types.duration)))
        conn.execute(_sql("035_add_rls_to_scheduler_tables.sql"))
        if types.later_migrations:
            conn.execute(_sql("variant_later_migrations.sql"))
        # The services write as service_role (PostgREST with the service key), through the seed's trigger.
        conn.execute("SET ROLE service_role")
        conn.execute("SELECT set_config('testbed.executions', %s, false), set_config('testbed.batch', %s, false),"
                     " set_config('testbed.end', %s, false)", (str(executions), str(BATCH), newest.isoformat()))
        conn.execute(_sql("jobs.sql"))
        conn.execute(_sql("history.sql"))
        if bad_rows:
            conn.execute(_sql("bad_rows.sql"))
        conn.execute("RESET ROLE")
        conn.execute("ANALYZE public.job_schedules, public.scheduled_jobs")


@contextlib.contextmanager
def legacy_database(cluster: Cluster, **options) -> Iterator[LegacyDatabase]:
    legacy = build_legacy_database(cluster, **options)
    try:
        yield legacy
    finally:
        cluster.drop_database(legacy.name)


# --- reading a database the same way before and after adoption ----------------------------------------------------

def _utc(conn: psycopg.Connection) -> None:
    conn.execute("SET TimeZone = 'UTC'")


def history_fingerprint(conn: psycopg.Connection) -> tuple[int, str]:
    """(executions, digest) over the seed's columns of every execution, in id order."""
    _utc(conn)
    return tuple(conn.execute(_sql("history_fingerprint.sql")).fetchone())


def job_rows_fingerprint(conn: psycopg.Connection) -> tuple[int, str]:
    """(jobs, digest) over the seed's columns of every job row, statistics included."""
    _utc(conn)
    return tuple(conn.execute(_sql("job_rows_fingerprint.sql")).fetchone())


@dataclass(frozen=True)
class JobStatistics:
    total_runs: int
    successful_runs: int
    failed_runs: int
    last_run_at: Optional[datetime]
    last_run_status: Optional[str]
    last_run_duration_ms: Optional[int]


def recount(conn: psycopg.Connection) -> dict[str, tuple[JobStatistics, JobStatistics]]:
    """Each job row's statistics: (as stored, as recounted from its history)."""
    _utc(conn)
    return {row[0]: (JobStatistics(*row[1:7]), JobStatistics(*row[7:13]))
            for row in conn.execute(_sql("recount.sql")).fetchall()}


def counter_mismatches(conn: psycopg.Connection) -> dict[str, tuple[JobStatistics, JobStatistics]]:
    """The jobs whose stored statistics differ from their history, with both."""
    return {job: pair for job, pair in recount(conn).items() if pair[0] != pair[1]}


# The job row sql/fix_bad_rows.sql renames: its lifetime counters keep the runs its history holds under the old name
# (a finished execution cannot move to another job: trigger_scheduled_jobs_finished_is_final).
RENAMED_BY_THE_FIX = "nightly-export"
# The job whose run purge_beside_a_negative_duration deletes: lifetime counters keep deleted runs.
PURGED = "daily-cleanup"


def statistics_problems(conn: psycopg.Connection, *, lifetime: tuple[str, ...] = ()) -> list[str]:
    """Where the kit's statistics (job counters and last_run_*, the rollups, get_job_execution_stats) differ from
    what the history says, old rows kept NOT VALID included; run on a connection that sees every row. `lifetime`: job
    rows whose counters count runs their history no longer holds (deleted, or kept under the job's old name)."""
    jobs = [row[0] for row in conn.execute("SELECT DISTINCT job_name::text FROM public.scheduled_jobs ORDER BY 1")]
    problems = [f"{job}: stored {stored}, history says {counted}"
                for job, (stored, counted) in counter_mismatches(conn).items() if job not in lifetime]
    return problems + rollup_mismatches(conn, jobs) + stats_mismatches(conn, None, None)


def correct_beside_a_kept_row(conn: psycopg.Connection) -> None:
    """The service corrects report-builder's latest run to failed: last_run_* come from the history again, where a
    kept failed execution without completed_at (sql/bad_rows.sql) never completed, so it cannot be the last run."""
    conn.execute("UPDATE public.scheduled_jobs SET status = 'failed', error_message = 'reported late'"
                 " WHERE id = (SELECT id FROM public.scheduled_jobs WHERE job_name = 'report-builder'"
                 " AND completed_at IS NOT NULL ORDER BY completed_at DESC, id DESC LIMIT 1)")
    conn.commit()


def purge_beside_a_negative_duration(conn: psycopg.Connection) -> None:
    """Retention deletes the valid run that shares its UTC day with daily-cleanup's kept negative duration: that
    day's rollup is left with a run and no duration."""
    deleted = conn.execute("DELETE FROM public.scheduled_jobs AS j WHERE j.job_name = %s"
                           " AND j.duration_ms = 3000 AND j.started_at IN"
                           " (SELECT b.started_at FROM public.scheduled_jobs AS b"
                           "   WHERE b.job_name = %s AND b.duration_ms < 0)", (PURGED, PURGED)).rowcount
    assert deleted == 1, f"the test bed's valid run beside {PURGED}'s negative duration: {deleted} rows"
    conn.commit()


def broken_rules(conn: psycopg.Connection) -> dict[str, list[str]]:
    """Each kit rule that existing rows break, with the ids (executions) or names (jobs) of those rows."""
    rows = conn.execute(_sql("broken_rules.sql"), {"cron_pattern": CRON_PATTERN, "not_blank": NOT_BLANK_PATTERN}).fetchall()
    return {rule: list(offenders) for rule, _count, offenders in rows}


def catalog_snapshot(conn: psycopg.Connection) -> list[tuple[str, str, str]]:
    """Every schema, relation, column, constraint, index, trigger, policy and function of the database, with ACLs."""
    return database_snapshot(conn)

