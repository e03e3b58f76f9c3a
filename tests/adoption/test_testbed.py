"""The test bed is the users' database: what tests/adoption/legacy_db.py builds holds the seed's design as migration
035 left it, history whose counters the seed's trigger got wrong, and (when asked) rows that break the kit's rules.
These pass on today's code: they check the ground the adoption tests stand on, not the kit."""

from __future__ import annotations

import psycopg
import pytest

from tests.adoption import legacy_db
from tests.adoption.legacy_db import BROKEN_RULES, CLEAN_JOBS, SEED_POLICIES
from tests.support.cluster import PROFILES, Cluster

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=[(p, s) for p in PROFILES for s in legacy_db.SHAPES],
                ids=lambda v: f"{v[0]}-{v[1]}")
def bed(request):
    """One database with bad rows per profile and shape, shared by this module's read-only checks."""
    profile, shape = request.param
    with legacy_db.legacy_database(Cluster.start(profile), shape=shape, bad_rows=True) as legacy:
        yield legacy


@pytest.fixture
def conn(bed):
    with psycopg.connect(bed.dsn) as connection:
        yield connection


def test_the_seeds_policies_comments_and_rls(bed, conn):
    rows = conn.execute("SELECT p.polname, obj_description(p.oid, 'pg_policy') FROM pg_policy AS p"
                        " WHERE p.polrelid IN ('public.job_schedules'::regclass, 'public.scheduled_jobs'::regclass)"
                        " ORDER BY 1").fetchall()
    names = {name for name, _ in rows}
    assert set(SEED_POLICIES) <= names
    extra = {"scheduled_jobs_select_own"} if bed.shape == "variant" else set()
    assert names - set(SEED_POLICIES) == extra
    assert all(comment for _, comment in rows), rows
    rls = conn.execute("SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class"
                       " WHERE oid IN ('public.job_schedules'::regclass, 'public.scheduled_jobs'::regclass)").fetchall()
    assert sorted(rls) == [("job_schedules", True, False), ("scheduled_jobs", True, False)]


def test_the_seeds_trigger_and_helpers(bed, conn):
    (trigger,) = conn.execute("SELECT pg_get_triggerdef(oid) FROM pg_trigger"
                              " WHERE tgrelid = 'public.scheduled_jobs'::regclass"
                              " AND tgname = 'trigger_update_job_stats'").fetchone()
    assert "AFTER INSERT OR UPDATE" in trigger and "FOR EACH ROW" in trigger and "'completed'" in trigger
    functions = dict(conn.execute(
        "SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', p.proconfig FROM pg_proc AS p"
        " WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'get_job_execution_%'").fetchall())
    stats = ("get_job_execution_stats(p_job_name text, p_days integer)" if bed.shape == "variant"
             else "get_job_execution_stats(p_job_name text)")
    assert set(functions) == {
        "get_job_execution_history(p_job_name text, p_limit integer, p_offset integer)", stats}
    assert all(config is None for config in functions.values())  # no pinned search_path
    # The seed's callers call the statistics with one argument, and it answers.
    (total,) = conn.execute("SELECT total_executions FROM public.get_job_execution_stats('hourly-sync')").fetchone()
    assert total > 0


def test_grants_are_what_supabase_and_the_migration_left(bed, conn):
    for role in ("anon", "authenticated", "service_role"):
        for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"):
            assert conn.execute("SELECT has_table_privilege(%s, 'public.scheduled_jobs', %s)",
                                (role, privilege)).fetchone()[0], (role, privilege)
    assert conn.execute("SELECT has_function_privilege('authenticated',"
                        " 'public.get_job_execution_history(text, integer, integer)', 'EXECUTE')").fetchone()[0]
    owner, superuser = conn.execute("SELECT r.rolname, r.rolsuper FROM pg_class AS c JOIN pg_roles AS r"
                                    " ON r.oid = c.relowner WHERE c.oid = 'public.scheduled_jobs'::regclass").fetchone()
    assert owner == "postgres" and superuser == (bed.cluster.profile == "postgres")


def test_columns_are_typed_as_a_hand_written_migration_types_them(bed, conn):
    columns = dict(((table, column), (kind, nullable, default)) for table, column, kind, nullable, default in
                   conn.execute("SELECT table_name, column_name, data_type, is_nullable, column_default"
                                " FROM information_schema.columns WHERE table_schema = 'public'"
                                " AND table_name IN ('job_schedules', 'scheduled_jobs')").fetchall())
    assert columns[("job_schedules", "total_runs")][0] == "integer"
    assert columns[("job_schedules", "cron_expression")][1] == "YES"
    assert columns[("scheduled_jobs", "status")][2] is None
    assert ("scheduled_jobs", "created_at") not in columns and ("scheduled_jobs", "updated_at") not in columns
    expected = {"base": ("timestamp with time zone", "text", "integer"),
                "variant": ("timestamp without time zone", "character varying", "bigint")}[bed.shape]
    assert (columns[("scheduled_jobs", "started_at")][0], columns[("scheduled_jobs", "job_name")][0],
            columns[("scheduled_jobs", "duration_ms")][0]) == expected
    assert not conn.execute("SELECT count(*) FROM pg_constraint WHERE conrelid = 'public.scheduled_jobs'::regclass"
                            " AND contype = 'c'").fetchone()[0]


def test_history_runs_through_the_seeds_trigger_and_its_counters_are_double_counts(bed, conn):
    statuses = dict(conn.execute("SELECT status, count(*) FROM public.scheduled_jobs GROUP BY 1").fetchall())
    assert statuses["running"] > 0 and statuses["failed"] > 0 and statuses["completed"] > 0
    assert sum(statuses.values()) >= bed.executions
    recounted = legacy_db.recount(conn)
    assert set(CLEAN_JOBS) <= set(recounted)
    # Every later write of a finished execution counted again: the stored totals run ahead of the history.
    ahead = [job for job in CLEAN_JOBS if recounted[job][0].total_runs > recounted[job][1].total_runs]
    assert len(ahead) >= 8, {job: recounted[job] for job in CLEAN_JOBS}
    assert all(recounted[job][0].total_runs >= recounted[job][1].total_runs for job in CLEAN_JOBS)
    # legacy-export's row is gone, its history is not.
    assert conn.execute("SELECT count(*) FROM public.scheduled_jobs WHERE job_name = 'legacy-export'").fetchone()[0]
    assert "legacy-export" not in recounted


def test_the_seeds_trigger_counts_a_rewrite_again(conn):
    job = "hourly-sync"
    before = legacy_db.recount(conn)[job][0].total_runs
    conn.execute("UPDATE public.scheduled_jobs SET metadata = metadata || '{\"seen\": 1}' WHERE id ="
                 " (SELECT id FROM public.scheduled_jobs WHERE job_name = %s AND status = 'completed' LIMIT 1)", (job,))
    assert legacy_db.recount(conn)[job][0].total_runs == before + 1
    conn.rollback()


def test_bad_rows_break_exactly_the_listed_rules(conn):
    broken = legacy_db.broken_rules(conn)
    assert {rule: len(offenders) for rule, offenders in broken.items()} == BROKEN_RULES
    assert broken["job_schedules_job_name_format"] == ["Nightly_Export"]


def test_the_fingerprints_see_a_change_and_only_a_change(conn):
    history, jobs = legacy_db.history_fingerprint(conn), legacy_db.job_rows_fingerprint(conn)
    snapshot = legacy_db.catalog_snapshot(conn)
    assert (legacy_db.history_fingerprint(conn), legacy_db.job_rows_fingerprint(conn)) == (history, jobs)
    conn.execute("UPDATE public.scheduled_jobs SET error_message = 'edited' WHERE id ="
                 " (SELECT min(id::text)::uuid FROM public.scheduled_jobs)")
    assert legacy_db.history_fingerprint(conn) != history
    conn.execute("ALTER TABLE public.scheduled_jobs ADD COLUMN note text")
    assert legacy_db.history_fingerprint(conn)[0] == history[0]  # an added column is not part of it
    assert legacy_db.snapshot_difference(snapshot, legacy_db.catalog_snapshot(conn)) == [
        "+ column public.scheduled_jobs.note: text acl="]
    conn.rollback()


def test_clean_is_the_same_bed_without_the_bad_rows():
    with legacy_db.legacy_database(Cluster.start("postgres"), executions=500) as clean:
        with psycopg.connect(clean.dsn) as conn:
            assert legacy_db.broken_rules(conn) == {}
            assert sorted(legacy_db.recount(conn)) == sorted(CLEAN_JOBS)
            assert legacy_db.history_fingerprint(conn)[0] == 500
