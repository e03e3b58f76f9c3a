"""What the policy tests share: the matrix as data, actors as tokens, the seeded rows, statements, outcomes.

Every case runs inside a savepoint that is always rolled back, inside a transaction that is rolled back too, so the
tests leave nothing behind, which is what lets them audit a live database (POLICY_TEST_DSN)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import psycopg
import yaml
from psycopg import errors

from scheduler_kit.gateway import Gateway, TokenRejected
from tests.support.tokens import TokenFactory

MATRIX_PATH = Path(__file__).resolve().parents[1] / "access_matrix.yaml"
JOB = "matrix-job"
ADMIN_SUB, REGULAR_SUB = "matrix_admin", "matrix_regular"


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


def load_matrix(path: Path = MATRIX_PATH) -> list[Cell]:
    document = yaml.safe_load(path.read_text())
    actors = document["actors"]
    cells = []
    for kind, section in (("table", "tables"), ("function", "functions")):
        for obj, rows in document[section].items():
            for operation, outcomes in rows.items():
                assert len(outcomes) == len(actors), f"{obj} {operation}: {len(outcomes)} outcomes for {len(actors)} actors"
                op, _, column = operation.partition(" ")
                for actor, expected in zip(actors, outcomes):
                    assert expected in ("rows", "zero", "denied", "rejected"), f"{obj} {operation}: {expected!r}"
                    cells.append(Cell(obj, kind, op, column or None, actor, expected))
    return cells


BAD_TOKENS: dict[str, Callable[[TokenFactory], str]] = {
    "expired": lambda t: t.expired(),
    "not yet valid": lambda t: t.not_yet_valid(),
    "wrong key": lambda t: t.wrong_key(),
    "unknown kid": lambda t: t.unknown_kid(),
    "alg none": lambda t: t.alg_none(),
    "HS256 with the RS256 public key": lambda t: t.hs256_with_public_key(),
    "role forged to service_role": lambda t: t.forged_role("service_role"),
    "role forged to postgres": lambda t: t.forged_role("postgres"),
    "wrong audience": lambda t: t.wrong_audience(),
    "numeric sub": lambda t: t.user(12345),
    "garbage": lambda t: "garbage.garbage.garbage",
}


# Variants of an actor that must all behave the same.
VARIANTS = {"bad_token": sorted(BAD_TOKENS), "no_sub": ["missing", "empty"]}


def token_for(actor: str, tokens: TokenFactory, variant: str = "") -> Optional[str]:
    bad = variant if actor == "bad_token" and variant else "expired"
    return {
        "service": lambda: tokens.service(),
        "admin": lambda: tokens.user(ADMIN_SUB),
        "regular": lambda: tokens.user(REGULAR_SUB),
        "unknown_sub": lambda: tokens.user("matrix_deleted_user"),
        "no_sub": lambda: tokens.user("" if variant == "empty" else None),
        "anon": lambda: None,
        "bad_token": lambda: BAD_TOKENS[bad](tokens),
    }[actor]()


SEED = """
INSERT INTO public.users (clerk_user_id, role) VALUES (%(admin)s, 'admin'), (%(regular)s, 'user'), ('', 'admin')
  ON CONFLICT DO NOTHING;
INSERT INTO public.job_schedules (job_name, cron_expression, service, endpoint)
  VALUES (%(job)s, '0 9 * * 1', 'matrix-service', '/api/jobs/matrix');
INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at, duration_ms)
  VALUES (%(job)s, 'running', now() - interval '2 minutes', NULL, NULL),
         (%(job)s, 'completed', now() - interval '10 minutes', now() - interval '9 minutes', 60000);
"""


def seed(conn: psycopg.Connection) -> None:
    with psycopg.ClientCursor(conn) as cur:
        cur.execute(SEED, {"admin": ADMIN_SUB, "regular": REGULAR_SUB, "job": JOB})


def statement(cell: Cell, value: Any = None, use_value: bool = False) -> tuple[str, tuple]:
    table = f"public.{cell.object}"
    if cell.kind == "function":
        if cell.object == "get_job_execution_history":
            return "SELECT * FROM public.get_job_execution_history(%s, 20, 0)", (JOB,)
        if cell.object == "get_job_execution_history_page":
            return "SELECT * FROM public.get_job_execution_history_page(%s, 20, NULL, NULL)", (JOB,)
        if cell.object == "purge_job_execution_history":  # returns one row (the count) to whoever may call it
            return "SELECT public.purge_job_execution_history(interval '0 seconds')", ()
        return "SELECT * FROM public.get_job_execution_stats(%s)", (JOB,)
    if cell.operation == "SELECT":
        return f"SELECT * FROM {table}", ()
    if cell.operation == "DELETE":
        return f"DELETE FROM {table}", ()
    if cell.operation == "TRUNCATE":
        return f"TRUNCATE {table}", ()
    if cell.operation == "INSERT":
        if cell.object == "job_schedules":
            return (f"INSERT INTO {table} (job_name, cron_expression, service, endpoint)"
                    " VALUES ('matrix-new', '0 1 * * *', 'svc', '/new')"), ()
        if cell.object == "job_execution_rollups":
            return f"INSERT INTO {table} (job_name, day) VALUES (%s, date '2000-01-01')", (JOB,)
        return f"INSERT INTO {table} (job_name) VALUES (%s)", (JOB,)
    if cell.operation == "UPDATE":
        if use_value:
            return f'UPDATE {table} SET "{cell.column}" = %s', (value,)
        return f'UPDATE {table} SET "{cell.column}" = "{cell.column}"', ()
    raise AssertionError(cell)


# Outcomes a statement can have besides the matrix's: the data was refused by a constraint or a trigger.
INVALID = "invalid"


def run(conn: psycopg.Connection, gateway: Gateway, token: Optional[str], sql: str, params: tuple = ()) -> str:
    try:
        gateway.authenticate(token)
    except TokenRejected:
        return "rejected"
    try:
        with conn.transaction(force_rollback=True):
            with conn.cursor() as cur:
                gateway.assume(cur, token)
                cur.execute(sql, params)
                if cur.description is not None:
                    return "rows" if cur.fetchall() else "zero"
                if sql.startswith("TRUNCATE"):
                    return "rows"
                return "rows" if cur.rowcount > 0 else "zero"
    except errors.InsufficientPrivilege:
        return "denied"
    except (errors.IntegrityError, errors.DataError, errors.RaiseException):
        return INVALID
