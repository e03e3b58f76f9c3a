"""Running one matrix cell as an actor and naming its outcome (see cells.OUTCOMES).

Actors connect the way PostgREST does: logged in as `authenticator` (NOINHERIT, not a superuser), each statement in
a savepoint that first takes the token's role with SET LOCAL ROLE and its claims in `request.jwt.claims`. Every case
is rolled back, inside a transaction that is rolled back too, so observing leaves nothing behind, which is what lets
it audit a live database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import psycopg
from psycopg import errors

from scheduler_kit.access.actors import ADMIN_SUB, NUMERIC_ADMIN_ID, REGULAR_SUB, token_for
from scheduler_kit.access.cells import Cell
from scheduler_kit.db import sql_text
from scheduler_kit.gateway import Gateway, TokenRejected
from scheduler_kit.tokens import TokenFactory

JOB = "matrix-job"
SEED = sql_text("access/seed.sql")


def as_service(conn: psycopg.Connection, statement: str, params: Any = None) -> list:
    """Set-up and bookkeeping through the service role (BYPASSRLS), in a savepoint, from the actor connection."""
    with conn.transaction():
        with psycopg.ClientCursor(conn) as cur:
            cur.execute("SET LOCAL ROLE service_role")
            cur.execute(statement, params)
            rows = cur.fetchall() if cur.description else []
            cur.execute("RESET ROLE")
            return rows


def seed(conn: psycopg.Connection) -> None:
    as_service(conn, SEED, {"admin": ADMIN_SUB, "regular": REGULAR_SUB, "numeric": NUMERIC_ADMIN_ID, "job": JOB})


# The rows the seed writes, by the names statements are confined to (see Totals).
SEED_JOBS = (JOB, "matrix-disabled", "matrix-retired", "matrix-unscheduled")
SEED_USERS = (ADMIN_SUB, REGULAR_SUB, "", NUMERIC_ADMIN_ID)


@dataclass(frozen=True)
class Totals:
    """What the test wrote, as the service sees it: the yardstick for `rows` versus `some`. Every statement but
    TRUNCATE and INSERT is confined to these rows (by job name, by admin lookup id), through the same indexes the
    service uses: on an audited database, neither the cost of a case nor the rows it locks depend on the history the
    database already holds (50,000 executions made the unconfined audit read, update and delete them all, per case)."""
    tables: dict
    history_jobs: tuple
    jobs: tuple = SEED_JOBS
    users: tuple = SEED_USERS


def totals(conn: psycopg.Connection, jobs=(), users=()) -> Totals:
    """The seeded rows and the test's own `jobs` and `users` (names it wrote besides the seed's)."""
    jobs = tuple(sorted({*SEED_JOBS, *jobs}))
    users = tuple(sorted({*SEED_USERS, *users}))
    counts = as_service(conn, sql_text("access/totals.sql"), {"jobs": list(jobs), "users": list(users)})[0]
    return Totals({"job_schedules": counts[0], "scheduled_jobs": counts[1], "users": counts[2],
                   "job_execution_rollups": counts[3]}, tuple(sorted(counts[4] or ())), jobs, users)


def _scope(cell: Cell, known: Totals) -> tuple[str, tuple]:
    """The WHERE clause that confines a statement to the test's rows."""
    if cell.object == "users":
        return " WHERE clerk_user_id = ANY(%s)", (list(known.users),)
    return " WHERE job_name = ANY(%s)", (list(known.jobs),)


def statement(cell: Cell, known: Totals) -> tuple[str, tuple]:
    table = f"public.{cell.object}"
    if cell.kind == "function":
        if cell.object == "get_job_execution_history":
            # Every job's whole history, page by page of 1,000: a policy hiding one job's rows shows up.
            return ("SELECT h.id FROM unnest(%s::text[]) AS j(name),"
                    " LATERAL public.get_job_execution_history(j.name, 1000, 0) AS h"), (list(known.history_jobs),)
        if cell.object == "get_job_execution_history_page":  # the keyset form: every job's first page of 1,000
            return ("SELECT h.id FROM unnest(%s::text[]) AS j(name),"
                    " LATERAL public.get_job_execution_history_page(j.name, 1000, NULL, NULL) AS h"), \
                (list(known.history_jobs),)
        if cell.object == "purge_job_execution_history":  # how many finished executions it removed (one at most)
            return "SELECT public.purge_job_execution_history(interval '0 seconds', 1)", ()
        # The statistics of every job (the NULL path) over the last week, which holds all the test's executions;
        # the test's jobs counted. (The whole history's, every job's, reads every rollup the database has.)
        return ("SELECT s.total_executions FROM public.get_job_execution_stats(NULL, now() - interval '7 days') AS s"
                " WHERE s.job_name = ANY(%s)"), (list(known.jobs),)
    if cell.operation == "TRUNCATE":
        return f"TRUNCATE {table}", ()
    if cell.operation == "INSERT":
        if cell.object == "job_schedules":
            return (f"INSERT INTO {table} (job_name, cron_expression, service, endpoint)"
                    " VALUES ('matrix-new', '0 1 * * *', 'svc', '/new')"), ()
        if cell.object == "users":
            return f"INSERT INTO {table} (clerk_user_id, role) VALUES ('matrix_intruder', 'admin')", ()
        if cell.object == "job_execution_rollups":
            return f"INSERT INTO {table} (job_name, day) VALUES (%s, date '2000-01-01')", (JOB,)
        return f"INSERT INTO {table} (job_name) VALUES (%s)", (JOB,)
    where, params = _scope(cell, known)
    if cell.operation == "SELECT":
        return f"SELECT * FROM {table}{where}", params
    if cell.operation == "DELETE":
        return f"DELETE FROM {table}{where}", params
    if cell.operation == "UPDATE":
        return f'UPDATE {table} SET "{cell.column}" = "{cell.column}"{where}', params
    raise AssertionError(cell)


def expected_count(cell: Cell, known: Totals) -> Optional[int]:
    if cell.object == "purge_job_execution_history":
        return None  # any number removed is the service's whole right; zero would be `zero`
    if cell.kind == "function":
        return known.tables["scheduled_jobs"]
    return known.tables[cell.object]


# Outcomes a statement can have besides the matrix's: the data was refused by a constraint or a trigger.
INVALID = "invalid"


def _is_rls_refusal(exc: errors.Error) -> bool:
    return "row-level security" in (exc.diag.message_primary or "")


def run(conn: psycopg.Connection, gateway: Gateway, token: Optional[str], sql: str, params: tuple = (),
        expected_rows: Optional[int] = None, function: bool = False, commit: bool = False) -> str:
    """One actor statement in a savepoint that is always rolled back; its outcome (see OUTCOMES). With `commit`, on
    a connection outside any transaction, it is a request of its own as PostgREST sends it: one transaction,
    committed when the statement succeeds (tests/policy/pool.py)."""
    try:
        gateway.authenticate(token)
    except TokenRejected:
        return "rejected"
    with conn.transaction(force_rollback=not commit):
        with conn.cursor() as cur:
            try:
                with conn.transaction():
                    gateway.assume(cur, token)
            except (errors.InsufficientPrivilege, errors.InvalidParameterValue):
                return "refused"  # SET ROLE: authenticator is no member of the role, or there is no such role
            try:
                cur.execute(sql, params)
            except errors.InsufficientPrivilege as exc:
                return "policy" if _is_rls_refusal(exc) else "denied"
            except (errors.IntegrityError, errors.DataError, errors.RaiseException):
                return INVALID
            if cur.description is not None:
                rows = cur.fetchall()
                seen = sum(r[0] for r in rows) if function and rows and isinstance(rows[0][0], int) else len(rows)
            elif sql.startswith(("TRUNCATE", "INSERT")):
                return "rows"
            else:
                seen = cur.rowcount
    if seen == 0:
        return "zero"
    if expected_rows is None or seen == expected_rows:
        return "rows"
    return "some"


def outcome_of(conn: psycopg.Connection, gateway: Gateway, tokens: TokenFactory, cell: Cell, variant: str,
               known: Totals) -> str:
    sql, params = statement(cell, known)
    return run(conn, gateway, token_for(cell.actor, tokens, variant), sql, params,
               expected_rows=expected_count(cell, known), function=cell.kind == "function")
