"""Where the seed is wrong and the kit is right: each test runs the same scenario on the kit's deployment and on the
seed's design (tests/seed_design/seed_overlay.sql, applied in the same rolled-back transaction) and asserts that the
check fails on the seed and holds on ours. A check that held on the seed too would prove nothing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest

from tests.support.actors import as_superuser, attempt

SEED_OVERLAY = (Path(__file__).parents[1] / "seed_design" / "seed_overlay.sql").read_text()
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def design_conn(deployed, users):
    """Yields a function: design name -> connection inside a transaction that is rolled back at the end."""
    connections = []

    def open_design(design: str) -> psycopg.Connection:
        conn = psycopg.connect(deployed.dsn)
        connections.append(conn)
        conn.execute("BEGIN")
        if design == "seed":
            conn.execute(SEED_OVERLAY)
        return conn

    yield open_design
    for conn in connections:
        conn.rollback()
        conn.close()


def add_job(conn, gateway, tokens, name="weekly-digest"):
    out = attempt(conn, gateway, tokens.service(),
                  "INSERT INTO public.job_schedules (job_name, cron_expression, service, endpoint)"
                  " VALUES (%s, '0 9 * * 1', 'email-service', '/api/jobs/weekly-digest')", (name,))
    assert out.ok, out.message


def start(conn, gateway, tokens, started_at, name="weekly-digest") -> str:
    out = attempt(conn, gateway, tokens.service(),
                  "INSERT INTO public.scheduled_jobs (job_name, status, started_at) VALUES (%s, 'running', %s) RETURNING id",
                  (name, started_at))
    assert out.ok, out.message
    return out.rows[0][0]


def finish(conn, gateway, tokens, execution_id, status, completed_at, duration_ms=100):
    out = attempt(conn, gateway, tokens.service(),
                  "UPDATE public.scheduled_jobs SET status = %s, completed_at = %s, duration_ms = %s WHERE id = %s",
                  (status, completed_at, duration_ms, execution_id))
    assert out.ok, out.message


def stats(conn, name="weekly-digest") -> dict:
    row = as_superuser(conn, "SELECT total_runs, successful_runs, failed_runs, last_run_at, last_run_status,"
                             " last_run_duration_ms FROM public.job_schedules WHERE job_name = %s", (name,))[0]
    return dict(zip(("total", "ok", "failed", "last_at", "last_status", "last_ms"), row))


DESIGNS = ("ours", "seed")


# 1. An execution counts once, when it first finishes; later writes don't count again; a correction moves the count.
def count_once_scenario(conn, gateway, tokens) -> dict:
    add_job(conn, gateway, tokens)
    ids = [start(conn, gateway, tokens, T0 + timedelta(hours=i)) for i in range(3)]
    for i, execution in enumerate(ids):
        finish(conn, gateway, tokens, execution, "completed", T0 + timedelta(hours=i, minutes=2))
    service = tokens.service()
    # A metadata write to a finished execution, and the same status written again.
    assert attempt(conn, gateway, service, "UPDATE public.scheduled_jobs SET metadata = '{\"emails\": 150}' WHERE id = %s", (ids[0],)).ok
    assert attempt(conn, gateway, service, "UPDATE public.scheduled_jobs SET status = 'completed' WHERE id = %s", (ids[1],)).ok
    return stats(conn)


@pytest.mark.parametrize("design", DESIGNS)
def test_an_execution_counts_once(design, design_conn, gateway, tokens):
    result = count_once_scenario(design_conn(design), gateway, tokens)
    holds = (result["total"], result["ok"], result["failed"]) == (3, 3, 0)
    assert holds == (design == "ours"), f"{design}: {result}"


@pytest.mark.parametrize("design", DESIGNS)
def test_a_correction_moves_the_count(design, design_conn, gateway, tokens):
    conn = design_conn(design)
    add_job(conn, gateway, tokens)
    execution = start(conn, gateway, tokens, T0)
    finish(conn, gateway, tokens, execution, "completed", T0 + timedelta(minutes=1))
    finish(conn, gateway, tokens, execution, "failed", T0 + timedelta(minutes=1))
    result = stats(conn)
    holds = (result["total"], result["ok"], result["failed"], result["last_status"]) == (1, 0, 1, "failed")
    assert holds == (design == "ours"), f"{design}: {result}"


# 2. last_run_* describe the execution with the latest completed_at, even when executions finish out of order.
@pytest.mark.parametrize("design", DESIGNS)
def test_last_run_follows_the_latest_completion(design, design_conn, gateway, tokens):
    conn = design_conn(design)
    add_job(conn, gateway, tokens)
    older = start(conn, gateway, tokens, T0)
    newer = start(conn, gateway, tokens, T0 + timedelta(minutes=5))
    finish(conn, gateway, tokens, newer, "completed", T0 + timedelta(minutes=10), duration_ms=300_000)
    finish(conn, gateway, tokens, older, "failed", T0 + timedelta(minutes=7), duration_ms=420_000)  # finishes late
    result = stats(conn)
    holds = (result["last_at"], result["last_status"], result["last_ms"]) == (
        T0 + timedelta(minutes=10), "completed", 300_000)
    assert holds == (design == "ours"), f"{design}: {result}"


# 3. Admins change only `enabled` and `cron_expression`.
ADMIN_FORBIDDEN_WRITES = [
    "UPDATE public.job_schedules SET total_runs = 0, successful_runs = 0, failed_runs = 0",
    "UPDATE public.job_schedules SET job_name = 'renamed'",
    "UPDATE public.job_schedules SET endpoint = 'https://attacker.example/steal'",
    "UPDATE public.job_schedules SET config = '{\"maxEmails\": 99999999}'",
]


@pytest.mark.parametrize("design", DESIGNS)
def test_admins_change_only_enabled_and_cron(design, design_conn, gateway, tokens):
    conn = design_conn(design)
    add_job(conn, gateway, tokens)
    admin = tokens.user("user_admin")
    allowed = [attempt(conn, gateway, admin, "UPDATE public.job_schedules SET enabled = false"),
               attempt(conn, gateway, admin, "UPDATE public.job_schedules SET cron_expression = '30 8 * * *'")]
    assert all(o.ok and o.rowcount == 1 for o in allowed), [o.message for o in allowed]  # on both designs
    forbidden = [attempt(conn, gateway, admin, statement) for statement in ADMIN_FORBIDDEN_WRITES]
    holds = all(o.denied for o in forbidden)  # the privilege layer, not RLS
    assert holds == (design == "ours"), f"{design}: {[(o.ok, o.rowcount, o.sqlstate) for o in forbidden]}"


# 4. Execution history is append-only for everyone but the service role. On the seed's design RLS is the only guard,
#    and RLS does not apply to TRUNCATE.
@pytest.mark.parametrize("design", DESIGNS)
def test_history_is_append_only_except_for_the_service(design, design_conn, gateway, tokens):
    conn = design_conn(design)
    add_job(conn, gateway, tokens)
    execution = start(conn, gateway, tokens, T0)
    finish(conn, gateway, tokens, execution, "completed", T0 + timedelta(minutes=1))
    admin = tokens.user("user_admin")
    tampering = [
        attempt(conn, gateway, admin, "UPDATE public.scheduled_jobs SET status = 'failed'"),
        attempt(conn, gateway, admin, "DELETE FROM public.scheduled_jobs"),
        attempt(conn, gateway, admin, "INSERT INTO public.scheduled_jobs (job_name) VALUES ('weekly-digest')"),
        attempt(conn, gateway, admin, "TRUNCATE public.scheduled_jobs"),
    ]
    remaining = as_superuser(conn, "SELECT count(*) FROM public.scheduled_jobs")[0][0]
    holds = all(o.denied for o in tampering) and remaining == 1
    assert holds == (design == "ours"), f"{design}: {[(o.ok, o.sqlstate) for o in tampering]}, rows left {remaining}"
    if design == "ours":  # the service itself may still clean up (on the seed the admin's TRUNCATE already did)
        service_delete = attempt(conn, gateway, tokens.service(), "DELETE FROM public.scheduled_jobs WHERE id = %s", (execution,))
        assert service_delete.ok and service_delete.rowcount == 1


# 5. Regular users, unknown subjects, tokens without sub and anonymous callers see nothing and change nothing.
def outsiders(tokens):
    return {
        "regular user": tokens.user("user_regular"),
        "unknown subject": tokens.user("user_deleted_long_ago"),
        "no sub": tokens.user(None),
        "empty sub": tokens.user(""),
        "anonymous": None,
    }


@pytest.mark.parametrize("design", DESIGNS)
def test_outsiders_see_nothing_and_change_nothing(design, design_conn, gateway, tokens):
    conn = design_conn(design)
    add_job(conn, gateway, tokens)
    execution = start(conn, gateway, tokens, T0)
    finish(conn, gateway, tokens, execution, "completed", T0 + timedelta(minutes=1))
    leaks = []
    for who, token in outsiders(tokens).items():
        for statement in ("SELECT * FROM public.job_schedules", "SELECT * FROM public.scheduled_jobs",
                          "SELECT * FROM public.get_job_execution_history('weekly-digest', 20, 0)",
                          "SELECT * FROM public.get_job_execution_stats()"):
            out = attempt(conn, gateway, token, statement)
            if out.ok and out.rows:
                leaks.append((who, statement, "saw rows"))
            elif not out.ok and not out.denied:  # only a privilege refusal is a clean "no"
                leaks.append((who, statement, f"unexpected error {out.sqlstate}: {out.message}"))
        for statement in ("UPDATE public.job_schedules SET enabled = false",
                          "DELETE FROM public.job_schedules",
                          "TRUNCATE public.scheduled_jobs, public.job_schedules"):
            out = attempt(conn, gateway, token, statement)
            if out.ok and (out.rowcount > 0 or statement.startswith("TRUNCATE")):
                leaks.append((who, statement, "changed data"))
            elif not out.ok and not out.denied:
                leaks.append((who, statement, f"unexpected error {out.sqlstate}: {out.message}"))
    holds = not leaks
    assert holds == (design == "ours"), f"{design}: {leaks}"


# 6. The admin check runs once per statement, not once per row; the service role runs no check at all.
def calls_while(conn, gateway, token, statement) -> int:
    as_superuser(conn, "SET LOCAL track_functions = 'all'")
    before = as_superuser(conn, "SELECT coalesce(sum(pg_stat_get_xact_function_calls(p.oid)), 0) FROM pg_proc p"
                                " JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname IN ('auth', 'scheduler_private')")[0][0]
    out = attempt(conn, gateway, token, statement)
    assert out.ok, out.message
    after = as_superuser(conn, "SELECT coalesce(sum(pg_stat_get_xact_function_calls(p.oid)), 0) FROM pg_proc p"
                               " JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname IN ('auth', 'scheduler_private')")[0][0]
    return after - before


@pytest.mark.parametrize("design", DESIGNS)
def test_admin_check_runs_once_per_statement(design, design_conn, gateway, tokens):
    conn = design_conn(design)
    add_job(conn, gateway, tokens)
    as_superuser(conn, "INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at)"
                       " SELECT 'weekly-digest', 'completed', now() - interval '1 hour', now() FROM generate_series(1, 200)")
    admin_calls = calls_while(conn, gateway, tokens.user("user_admin"), "SELECT count(*) FROM public.scheduled_jobs")
    service_calls = calls_while(conn, gateway, tokens.service(), "SELECT count(*) FROM public.scheduled_jobs")
    holds = admin_calls <= 5 and service_calls == 0
    assert holds == (design == "ours"), f"{design}: admin made {admin_calls} check calls over 200 rows, service {service_calls}"
