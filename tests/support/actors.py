"""Running statements as an actor (a token through the gateway) inside a test transaction, and recording what
happened: rows, a row count, or the SQLSTATE of a refusal. Each attempt is its own savepoint, so a refusal does not
end the test's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence

import psycopg
from psycopg import errors

from scheduler_kit.gateway import Gateway

PERMISSION_DENIED = "42501"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    rows: tuple = ()
    rowcount: int = 0
    sqlstate: Optional[str] = None
    message: str = ""

    @property
    def denied(self) -> bool:
        return self.sqlstate == PERMISSION_DENIED


def attempt(conn: psycopg.Connection, gateway: Gateway, token: Optional[str], statement: str,
            params: Sequence[Any] | dict = ()) -> Outcome:
    try:
        with conn.transaction():
            with conn.cursor() as cur:
                gateway.assume(cur, token)
                cur.execute(statement, params)
                rows = tuple(cur.fetchall()) if cur.description else ()
                outcome = Outcome(ok=True, rows=rows, rowcount=cur.rowcount)
                cur.execute("RESET ROLE")
                return outcome
    except errors.Error as exc:
        return Outcome(ok=False, sqlstate=exc.sqlstate, message=str(exc).strip())


def as_superuser(conn: psycopg.Connection, statement: str, params: Sequence[Any] | dict = ()) -> list:
    with conn.cursor() as cur:
        cur.execute("RESET ROLE")
        cur.execute(statement, params)
        return cur.fetchall() if cur.description else []
