"""The history reads an admin makes (pages by offset and by cursor, statistics) touch a number of pages that does not
depend on how much history the other jobs have, or on when the job last ran.

Counted, not timed: each read runs under EXPLAIN (ANALYZE, BUFFERS) as the admin (through authenticator and RLS),
and the shared buffers it touched, the function's inner query included, must stay under a bound that a page read by
the job's own index range meets many times over. A plan that walks the all-jobs started_at index and filters on the
job (what the generic plan chose for a job that stopped running) touches every row after the job's last execution:
hundreds of thousands of buffers here."""

from __future__ import annotations

import psycopg
import pytest

from tests.support.model_db import model_database

HISTORY = 200_000  # executions of the busy jobs, one every 30 seconds, round robin over 20 jobs
BOUND = 80  # buffers: index descent, a page of 20 rows and their heap pages, the admin lookup, with room to spare

SET_UP = """
INSERT INTO public.job_schedules (job_name, cron_expression, service, endpoint)
SELECT name, '* * * * *', 'svc', '/x'
  FROM (SELECT 'busy-' || j FROM generate_series(1, 20) j UNION ALL VALUES ('retired'), ('rare')) AS n(name);
-- A job that ran for a day, two years before everything else, and stopped.
INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at, duration_ms)
SELECT 'retired', 'completed', '2023-01-01'::timestamptz + i * interval '10 minutes',
       '2023-01-01'::timestamptz + i * interval '10 minutes' + interval '1 second', 1000 + i
  FROM generate_series(1, 144) i;
-- The busy jobs, in time order (as a scheduler writes them), and a rare job once in every 500 executions.
INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at, duration_ms)
SELECT CASE WHEN i %% 500 = 0 THEN 'rare' ELSE 'busy-' || (1 + i %% 20) END,
       CASE WHEN i %% 10 = 0 THEN 'failed' ELSE 'completed' END,
       '2025-01-01'::timestamptz + i * interval '30 seconds',
       '2025-01-01'::timestamptz + i * interval '30 seconds' + interval '2 seconds', 100 + i %% 5000
  FROM generate_series(1, %(history)s) i;
ANALYZE public.scheduled_jobs;
ANALYZE public.job_execution_rollups;
"""


@pytest.fixture(scope="module")
def admin(cluster, gateway, tokens):
    """A session of the admin, as PostgREST holds one: logged in as authenticator, acting through the gateway."""
    with model_database(cluster) as dsn:
        with psycopg.connect(dsn, autocommit=True) as owner:
            psycopg.ClientCursor(owner).execute(SET_UP, {"history": HISTORY})
        database = psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]
        with psycopg.connect(cluster.actor_dsn_for(database), autocommit=True) as conn:
            yield conn, gateway, tokens


def buffers(session, query: str, params: tuple = ()) -> int:
    conn, gateway, tokens = session
    with conn.transaction(force_rollback=True), conn.cursor() as cur:
        gateway.assume(cur, tokens.user("user_admin"))
        cur.execute(query, params)  # once first: the session's cached plan, as every later call uses it
        rows = cur.fetchall()
        assert rows, f"the admin read nothing: {query} {params}"
        cur.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + query, params)
        plan = cur.fetchone()[0][0]["Plan"]
        return plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0)


def cursor_inside(session, job: str, depth: int) -> tuple:
    conn, _, _ = session
    with conn.transaction(force_rollback=True):
        conn.execute("SET LOCAL ROLE service_role")
        return conn.execute("SELECT started_at, id FROM public.scheduled_jobs WHERE job_name = %s"
                            " ORDER BY started_at DESC, id DESC OFFSET %s LIMIT 1", (job, depth)).fetchone()


@pytest.mark.parametrize("job", ["busy-7", "rare", "retired"])
def test_a_first_page_reads_the_jobs_own_rows(admin, job):
    offset_page = buffers(admin, "SELECT * FROM public.get_job_execution_history(%s, 20, 0)", (job,))
    keyset_page = buffers(admin, "SELECT * FROM public.get_job_execution_history_page(%s, 20)", (job,))
    assert max(offset_page, keyset_page) <= BOUND, \
        f"{job}: the first page touched {offset_page} (offset) and {keyset_page} (keyset) buffers, bound {BOUND}"


@pytest.mark.parametrize("job, depth", [("busy-7", 9_000), ("rare", 300), ("retired", 100)])
def test_a_deep_keyset_page_costs_what_the_first_one_does(admin, job, depth):
    cursor = cursor_inside(admin, job, depth)
    deep = buffers(admin, "SELECT * FROM public.get_job_execution_history_page(%s, 20, %s, %s)", (job, *cursor))
    assert deep <= BOUND, f"{job}: a keyset page {depth} rows deep touched {deep} buffers, bound {BOUND}"


@pytest.mark.parametrize("job", ["busy-7", "rare", "retired"])
def test_statistics_of_a_window_read_its_rollups(admin, job):
    # The retired job's whole history, and the busy jobs' last two days (a partial first day included).
    since = "2022-12-31 12:00+00" if job == "retired" else "2025-03-08 06:00+00"
    touched = buffers(admin, "SELECT * FROM public.get_job_execution_stats(%s, %s::timestamptz)", (job, since))
    assert touched <= 2 * BOUND, f"{job}: its statistics touched {touched} buffers, bound {2 * BOUND}"
