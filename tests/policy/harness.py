"""What the policy tests share: the matrix as data, actors as tokens, the seeded rows, statements, outcomes.

Actors connect the way PostgREST does: logged in as `authenticator` (NOINHERIT, not a superuser), each statement in
a savepoint that first takes the token's role with SET LOCAL ROLE and its claims in `request.jwt.claims`. Every case
is rolled back, inside a transaction that is rolled back too, so the tests leave nothing behind, which is what lets
them audit a live database (POLICY_TEST_DSN)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import psycopg
import yaml
from psycopg import errors

from scheduler_kit.gateway import Gateway, TokenRejected
from tests.support.tokens import AUDIENCE, LEAVE_OUT, TokenFactory

MATRIX_PATH = Path(__file__).resolve().parents[1] / "access_matrix.yaml"
JOB = "matrix-job"
ADMIN_SUB, REGULAR_SUB = "matrix_admin", "matrix_regular"
# A users row whose id is what a lax admin check makes of a numeric `sub` (12345 -> '12345'), and one with an empty
# id for a token without `sub`: both admins, neither may ever match.
NUMERIC_ADMIN_ID = "12345"

OUTCOMES = {
    "rows": "allowed, and the statement sees or changes every row there is (an INSERT or TRUNCATE: it succeeds)",
    "some": "allowed, but it sees or changes only part of the rows: a partial leak or a partial hiding",
    "zero": "allowed by privileges, but row level security hides every row: silently 0 rows",
    "denied": "refused by the privilege layer: permission denied for the table, column or function (42501)",
    "policy": "the privilege is there, but row level security refuses the new row (42501, WITH CHECK)",
    "rejected": "the gateway refuses the token; no SQL runs at all",
    "refused": "the token is accepted, but the database refuses to switch to its role (authenticator is no member)",
    # (login_role's cells are `denied`: the request runs as authenticator itself, which holds nothing)
}


@dataclass(frozen=True)
class Cell:
    object: str       # table or function name
    kind: str         # table | function
    operation: str    # SELECT INSERT UPDATE DELETE TRUNCATE EXECUTE
    column: Optional[str]
    actor: str
    expected: str

    @property
    def label(self) -> str:
        op = f"{self.operation} {self.column}" if self.column else self.operation
        return f"{self.actor}:{self.object}:{op}"


@functools.lru_cache(maxsize=None)
def load_matrix(target: str = "postgres", path: Path = MATRIX_PATH) -> list[Cell]:
    """The cells for one target: the scheduler's tables and functions, and the admin lookup table as that target
    has it (the kit's own on postgres, the application's on supabase)."""
    document = yaml.safe_load(path.read_text())
    actors = document["actors"]
    sections = [("table", document["tables"]), ("table", {"users": document["admin_lookup"][target]}),
                ("function", document["functions"])]
    cells = []
    for kind, section in sections:
        for obj, rows in section.items():
            for operation, outcomes in rows.items():
                assert len(outcomes) == len(actors), f"{obj} {operation}: {len(outcomes)} outcomes for {len(actors)} actors"
                op, _, column = operation.partition(" ")
                for actor, expected in zip(actors, outcomes):
                    assert expected in OUTCOMES, f"{obj} {operation}: {expected!r}"
                    cells.append(Cell(obj, kind, op, column or None, actor, expected))
    return cells


# Tokens real PostgREST refuses before any SQL (tests/fast/test_gateway.py pins the error of each).
BAD_TOKENS: dict[str, Callable[[TokenFactory], str]] = {
    "expired": lambda t: t.expired(),
    "not yet valid": lambda t: t.not_yet_valid(),
    "issued in the future": lambda t: t.iat_in_future(),
    "wrong key": lambda t: t.wrong_key(),
    "unknown kid": lambda t: t.unknown_kid(),
    "alg none": lambda t: t.alg_none(),
    "HS256 with the RS256 public key": lambda t: t.hs256_with_public_key(),
    "payload tampered, signature kept": lambda t: t.tampered_payload(),
    "wrong audience": lambda t: t.wrong_audience(),
    "audience list without ours": lambda t: t.aud_array(containing=False),
    "service key expired": lambda t: t.service_expired(),
    "service key not yet valid": lambda t: t.service_not_yet_valid(),
    "service key, wrong audience": lambda t: t.service_wrong_audience(),
    "garbage": lambda t: "garbage.garbage.garbage",
}

# Each actor is a set of token shapes that must all behave the same. Tokens PostgREST lets through are here too:
# PostgREST checks exp, nbf, iat and aud only when present, takes any JSON `sub`, defaults a missing role to anon,
# and trusts any token its keys verify, whatever role it claims.
ACTOR_TOKENS: dict[str, dict[str, Callable[[TokenFactory], Optional[str]]]] = {
    "service": {
        "service key": lambda t: t.service(),
        "service key without exp": lambda t: t.service(exp=LEAVE_OUT),
        # An issuer-trust question: a user-key token that claims service_role IS the service to PostgREST.
        "user key claiming service_role": lambda t: t.forged_role("service_role"),
    },
    "admin": {
        "plain": lambda t: t.user(ADMIN_SUB),
        "without exp": lambda t: t.user(ADMIN_SUB, exp=LEAVE_OUT),
        "without kid": lambda t: t.sign_user(t.claims(sub=ADMIN_SUB, role="authenticated"), kid=None),
        "audience list with ours": lambda t: t.user(ADMIN_SUB, aud=["another-api", AUDIENCE]),
    },
    "regular": {"plain": lambda t: t.user(REGULAR_SUB)},
    "unknown_sub": {"plain": lambda t: t.user("matrix_deleted_user")},
    "odd_sub": {
        "missing": lambda t: t.user(None),
        "empty": lambda t: t.user(""),
        "numeric": lambda t: t.user(int(NUMERIC_ADMIN_ID)),
        "object": lambda t: t.user({"id": ADMIN_SUB}),
        "list": lambda t: t.user([ADMIN_SUB]),
    },
    "anon": {
        "no token": lambda t: None,
        "token without role": lambda t: t.user(ADMIN_SUB, role=LEAVE_OUT),
        "service key without role": lambda t: t.service(role=LEAVE_OUT),
    },
    "bad_token": {name: make for name, make in BAD_TOKENS.items()},
    "refused_role": {
        "role postgres": lambda t: t.forged_role("postgres"),
        "role pg_read_all_data": lambda t: t.forged_role("pg_read_all_data"),
        "role that does not exist": lambda t: t.unknown_role(),
        "role as a list": lambda t: t.role_list(),
        "role as an object": lambda t: t.role_object(),
    },
    "login_role": {"role none": lambda t: t.role_none()},
}
VARIANTS = {actor: sorted(shapes) for actor, shapes in ACTOR_TOKENS.items()}


def token_for(actor: str, tokens: TokenFactory, variant: str = "") -> Optional[str]:
    shapes = ACTOR_TOKENS[actor]
    return shapes[variant or sorted(shapes)[0]](tokens)


# Variety that can reveal a partial leak: enabled, disabled and retired jobs; running, completed and failed
# executions, of a live job, of a retired one and of a job with no schedule row at all.
SEED = """
INSERT INTO public.users (clerk_user_id, role) VALUES (%(admin)s, 'admin'), (%(regular)s, 'user'), ('', 'admin'),
  (%(numeric)s, 'admin') ON CONFLICT DO NOTHING;
INSERT INTO public.job_schedules (job_name, cron_expression, service, endpoint, enabled, retired_at, config) VALUES
  (%(job)s, '0 9 * * 1', 'matrix-service', '/api/jobs/matrix', true, NULL, '{"batchSize": 100}'),
  ('matrix-disabled', '*/5 * * * *', 'matrix-service', '/api/jobs/disabled', false, NULL, '{}'),
  ('matrix-retired', '0 0 1 * *', 'matrix-service', '/api/jobs/retired', false, now() - interval '3 days', '{}');
INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at, duration_ms, error_message, metadata) VALUES
  (%(job)s, 'running', now() - interval '2 minutes', NULL, NULL, NULL, '{}'),
  (%(job)s, 'completed', now() - interval '10 minutes', now() - interval '9 minutes', 60000, NULL, '{"emails": 3}'),
  (%(job)s, 'failed', now() - interval '20 minutes', now() - interval '19 minutes', 1000, 'timeout', '{}'),
  ('matrix-disabled', 'completed', now() - interval '2 days', now() - interval '2 days', 5, NULL, '{}'),
  ('matrix-retired', 'failed', now() - interval '5 days', now() - interval '5 days', 7, 'gone', '{}'),
  ('matrix-retired', 'completed', now() - interval '6 days', now() - interval '6 days', 9, NULL, '{}'),
  ('matrix-unscheduled', 'completed', now() - interval '1 day', now() - interval '1 day', 11, NULL, '{}');
"""


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
TOTALS = """
SELECT (SELECT count(*) FROM public.job_schedules WHERE job_name = ANY(%(jobs)s)),
       (SELECT count(*) FROM public.scheduled_jobs WHERE job_name = ANY(%(jobs)s)),
       (SELECT count(*) FROM public.users WHERE clerk_user_id = ANY(%(users)s)),
       (SELECT count(*) FROM public.job_execution_rollups WHERE job_name = ANY(%(jobs)s)),
       (SELECT array_agg(DISTINCT job_name) FROM public.scheduled_jobs WHERE job_name = ANY(%(jobs)s))
"""


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
    counts = as_service(conn, TOTALS, {"jobs": list(jobs), "users": list(users)})[0]
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
        expected_rows: Optional[int] = None, function: bool = False) -> str:
    """One actor statement in a savepoint that is always rolled back; its outcome (see OUTCOMES)."""
    try:
        gateway.authenticate(token)
    except TokenRejected:
        return "rejected"
    with conn.transaction(force_rollback=True):
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
