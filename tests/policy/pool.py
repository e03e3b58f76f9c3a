"""Requests as PostgREST sends them: committed, one after another, over a small pool of `authenticator` connections.

PostgREST keeps a few connections open and runs each HTTP request as one transaction on whichever is free: BEGIN
(READ ONLY for a read), the token's role and claims set local, the statement, COMMIT. Whatever a request leaves on
its connection (a session setting, a temporary table, a cached answer) is there for the next caller. The pool
below does the same with the harness's actors and statements, so a check against the matrix after another
caller's committed request on the same connection catches such a leak.

Everything the requests write is under a prefix of this run (jobs `pool-<hex>...`, users `pool_<hex>...`), every
write statement is limited to those rows (a live database's own rows are never touched), and the clean-up at the end
deletes them the way the service would: requests of the service role down the same pool."""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass, field
from typing import Iterator, Optional

import psycopg

from scheduler_kit.gateway import Gateway
from tests.policy.harness import ADMIN_SUB, NUMERIC_ADMIN_ID, REGULAR_SUB, Cell, Totals, run, statement
from tests.support.tokens import TokenFactory

# PostgREST can send neither TRUNCATE nor an unfiltered write; the matrix's other cells all have a request form.
POOLED_OPERATIONS = ("SELECT", "EXECUTE", "INSERT", "UPDATE", "DELETE")
# Older than any scheduler's history: the retention request's cut-off reaches these rows and nothing real.
ANCIENT = "1990-01-01 00:00:00+00"


@dataclass
class RequestPool:
    dsn: str
    gateway: Gateway
    tokens: TokenFactory
    size: int = 2
    prefix: str = field(default_factory=lambda: f"pool-{secrets.token_hex(3)}")
    connections: list = field(default_factory=list)
    users_added: list = field(default_factory=list)
    sent: int = 0
    known: Optional[Totals] = None  # the totals as of the last write; reads leave them as they are

    def __post_init__(self):
        self.connections = [psycopg.connect(self.dsn, autocommit=True) for _ in range(self.size)]
        self.service = self.tokens.service()

    @property
    def user_prefix(self) -> str:
        return self.prefix.replace("-", "_")

    def close(self) -> None:
        for conn in self.connections:
            conn.close()

    # --- one request ----------------------------------------------------------------------------------------
    def request(self, token: Optional[str], sql: str, params=(), *, read_only: bool, on: Optional[int] = None,
                expected_rows: Optional[int] = None, function: bool = False) -> str:
        """One committed request on connection `on` (the next one when None); its outcome (harness OUTCOMES)."""
        conn = self.connections[self.sent % self.size if on is None else on % self.size]
        self.sent += 1
        conn.read_only = read_only  # BEGIN READ ONLY, as PostgREST opens a GET
        try:
            return run(conn, self.gateway, token, sql, params, expected_rows=expected_rows, function=function,
                       commit=True)
        finally:
            conn.read_only = False

    def as_service(self, sql: str, params=(), on: Optional[int] = None) -> list:
        """A service request whose rows the caller needs (set-up, bookkeeping, clean-up)."""
        conn = self.connections[self.sent % self.size if on is None else on % self.size]
        self.sent += 1
        with self.gateway.transaction(conn, self.service) as cur:
            cur.execute(sql, params)
            if not sql.lstrip().upper().startswith("SELECT"):
                self.known = None
            return cur.fetchall() if cur.description else []

    # --- the run's rows -------------------------------------------------------------------------------------
    def scope(self, table: str) -> str:
        """The WHERE clause that limits a write to this run's rows."""
        if table == "users":
            return f"starts_with(clerk_user_id, '{self.user_prefix}')"
        return f"starts_with(job_name, '{self.prefix}')"

    def seed(self) -> None:
        """The harness's variety, committed: the actors' users rows, jobs enabled, disabled and retired, executions
        running, completed and failed (of a live job, a retired one and one with no schedule row), one execution
        older than any real history for the retention request, and a users row of the run's own."""
        added = self.as_service(
            "INSERT INTO public.users (clerk_user_id, role) VALUES (%s, 'admin'), (%s, 'user'), ('', 'admin'),"
            " (%s, 'admin') ON CONFLICT DO NOTHING RETURNING clerk_user_id", (ADMIN_SUB, REGULAR_SUB, NUMERIC_ADMIN_ID))
        self.users_added += [r[0] for r in added]
        for table in ("users", "job_schedules", "scheduled_jobs"):
            self.ensure(table)
        self.ensure_ancient()

    def ensure(self, table: str) -> None:
        """Puts the run's rows of `table` back when a committed request (the service's DELETE) removed them."""
        if table == "job_execution_rollups":
            if self.as_service(f"SELECT count(*) FROM public.{table} WHERE {self.scope(table)}")[0][0]:
                return
            # The statistics trigger makes the rollups from finished executions: write the run's executions again.
            self.as_service(f"DELETE FROM public.scheduled_jobs WHERE {self.scope('scheduled_jobs')}")
            self.ensure("scheduled_jobs")
            self.ensure_ancient()
            return
        if table not in ("users", "job_schedules", "scheduled_jobs"):
            return
        if self.as_service(f"SELECT count(*) FROM public.{table} WHERE {self.scope(table)}")[0][0]:
            return
        p = self.prefix
        if table == "users":
            self.as_service("INSERT INTO public.users (clerk_user_id, role) VALUES (%s, 'user')", (f"{self.user_prefix}_user",))
        elif table == "job_schedules":
            self.as_service(
                "INSERT INTO public.job_schedules (job_name, cron_expression, service, endpoint, enabled, retired_at)"
                " VALUES (%s, '0 9 * * 1', 'pool-service', '/api/jobs/pool', true, NULL),"
                " (%s, '*/5 * * * *', 'pool-service', '/api/jobs/disabled', false, NULL),"
                " (%s, '0 0 1 * *', 'pool-service', '/api/jobs/retired', false, now() - interval '400 days')",
                (p, f"{p}-disabled", f"{p}-retired"))
        else:
            self.as_service(
                "INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at, duration_ms) VALUES"
                " (%(p)s, 'running', now() - interval '2 minutes', NULL, NULL),"
                " (%(p)s, 'completed', now() - interval '10 minutes', now() - interval '9 minutes', 60000),"
                " (%(p)s, 'failed', now() - interval '20 minutes', now() - interval '19 minutes', 1000),"
                " (%(retired)s, 'completed', now() - interval '401 days', now() - interval '401 days', 9),"
                " (%(unscheduled)s, 'failed', now() - interval '1 day', now() - interval '1 day', 11)",
                {"p": p, "retired": f"{p}-retired", "unscheduled": f"{p}-unscheduled"})

    def ensure_ancient(self) -> None:
        if not self.as_service("SELECT count(*) FROM public.scheduled_jobs WHERE job_name = %s AND started_at < %s",
                               (f"{self.prefix}-ancient", ANCIENT))[0][0]:
            self.as_service("INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at, duration_ms)"
                            " VALUES (%s, 'completed', %s::timestamptz - interval '1 day', %s::timestamptz - interval '1 day', 3)",
                            (f"{self.prefix}-ancient", ANCIENT, ANCIENT))

    def totals(self) -> Totals:
        """What the run wrote, as the service sees it: every read and write is confined to the run's rows, so that
        neither the cost of a request nor its outcome depend on the history the database already holds."""
        names = ("job_schedules", "scheduled_jobs", "users", "job_execution_rollups")
        counts = self.as_service(
            "SELECT " + ", ".join(f"(SELECT count(*) FROM public.{n} WHERE {self.scope(n)})" for n in names)
            + f", (SELECT array_agg(DISTINCT job_name) FROM public.scheduled_jobs WHERE {self.scope('scheduled_jobs')})")[0]
        return Totals(dict(zip(names, counts[:4])), tuple(sorted(counts[4] or ())))

    def send(self, cell: Cell, token: Optional[str], on: Optional[int] = None) -> str:
        """The cell as one committed request (its writes limited to the run's rows); its outcome."""
        if cell.kind == "table" and cell.operation in ("SELECT", "UPDATE", "DELETE"):
            self.ensure(cell.object)  # a read expects the run's rows too, after any earlier request deleted them
        if cell.object == "purge_job_execution_history":
            self.ensure_ancient()
        if self.known is None:
            self.known = self.totals()
        sql, params, expected = self._statement(cell, self.known)
        read_only = cell.operation == "SELECT" or (cell.kind == "function" and cell.object != "purge_job_execution_history")
        if not read_only:
            self.known = None  # whether it was refused or not, count again before the next request
        return self.request(token, sql, params, read_only=read_only, on=on, expected_rows=expected,
                            function=cell.kind == "function")

    def _statement(self, cell: Cell, known: Totals) -> tuple[str, tuple, Optional[int]]:
        table = f"public.{cell.object}"
        if cell.object == "purge_job_execution_history":  # only what is older than any real history
            return "SELECT public.purge_job_execution_history(now() - %s::timestamptz)", (ANCIENT,), None
        if cell.object == "get_job_execution_stats":  # the run's jobs, over their whole history
            return ("SELECT s.total_executions FROM public.get_job_execution_stats(NULL, NULL) AS s"
                    f" WHERE {self.scope('scheduled_jobs')}"), (), known.tables["scheduled_jobs"]
        if cell.kind == "function":
            sql, params = statement(cell, known)  # every page of the run's jobs (history_jobs)
            return sql, params, known.tables["scheduled_jobs"]
        scoped = known.tables[cell.object]
        if cell.operation == "SELECT":
            return f"SELECT * FROM {table} WHERE {self.scope(cell.object)}", (), scoped
        if cell.operation == "DELETE":
            return f"DELETE FROM {table} WHERE {self.scope(cell.object)}", (), scoped
        if cell.operation == "UPDATE":
            return f'UPDATE {table} SET "{cell.column}" = "{cell.column}" WHERE {self.scope(cell.object)}', (), scoped
        n = secrets.token_hex(3)
        if cell.object == "job_schedules":
            return (f"INSERT INTO {table} (job_name, cron_expression, service, endpoint)"
                    " VALUES (%s, '0 1 * * *', 'svc', '/new')"), (f"{self.prefix}-new-{n}",), None
        if cell.object == "users":
            return f"INSERT INTO {table} (clerk_user_id, role) VALUES (%s, 'admin')", (f"{self.user_prefix}_intruder_{n}",), None
        if cell.object == "job_execution_rollups":
            return (f"INSERT INTO {table} (job_name, day) VALUES (%s, date '2000-01-01')",
                    (f"{self.prefix}-rollup-{n}",), None)
        return f"INSERT INTO {table} (job_name) VALUES (%s)", (self.prefix,), None

    def clean_up(self) -> list:
        """Deletes the run's rows as the service would, and returns what is left of them (nothing, when it worked)."""
        for table in ("scheduled_jobs", "job_execution_rollups", "job_schedules", "users"):
            self.as_service(f"DELETE FROM public.{table} WHERE {self.scope(table)}")
        if self.users_added:
            self.as_service("DELETE FROM public.users WHERE clerk_user_id = ANY(%s)", (self.users_added,))
        return [(table, n) for table in ("scheduled_jobs", "job_execution_rollups", "job_schedules", "users")
                for (n,) in self.as_service(f"SELECT count(*) FROM public.{table} WHERE {self.scope(table)}") if n]


@contextlib.contextmanager
def seeded_pool(dsn: str, gateway: Gateway, tokens: TokenFactory, **options) -> Iterator[RequestPool]:
    """A pool with its own rows committed (seed), deleted the same way and its connections closed afterwards."""
    pool = RequestPool(dsn, gateway, tokens, **options)
    try:
        pool.seed()
        yield pool
    finally:
        pool.clean_up()
        pool.close()
