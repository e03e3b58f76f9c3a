"""Running statements as an actor (a token through the gateway) inside a test transaction, and recording what
happened: rows, a row count, or the SQLSTATE of a refusal. Each attempt is its own savepoint, so a refusal does not
end the test's transaction.

An actor never runs as a superuser. A connection logged in as `authenticator` (what the policy tests use) acts
directly. A test that must also change the design inside the same transaction (the seed-correction tests swap the
seed's functions and policies in and roll them back) logs in as the owner, and each attempt first takes
authenticator's identity with SET LOCAL SESSION AUTHORIZATION, so the role switch is checked against authenticator's
memberships exactly as PostgREST's is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence

import psycopg
from psycopg import errors

from scheduler_kit.gateway import Gateway

PERMISSION_DENIED = "42501"
AUTHENTICATOR = "authenticator"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    rows: tuple = ()
    rowcount: int = 0
    sqlstate: Optional[str] = None
    message: str = ""

    @property
    def denied(self) -> bool:
        """Refused by the privilege layer (not by a row level security check, which is `refused_by_rls`)."""
        return self.sqlstate == PERMISSION_DENIED and "row-level security" not in self.message

    @property
    def refused_by_rls(self) -> bool:
        return self.sqlstate == PERMISSION_DENIED and "row-level security" in self.message


def _logged_in_as_superuser(conn: psycopg.Connection) -> bool:
    return conn.info.parameter_status("is_superuser") == "on"


def attempt(conn: psycopg.Connection, gateway: Gateway, token: Optional[str], statement: str,
            params: Sequence[Any] | dict = ()) -> Outcome:
    swap_identity = _logged_in_as_superuser(conn)
    try:
        with conn.transaction():
            with conn.cursor() as cur:
                if swap_identity:
                    cur.execute(f"SET LOCAL SESSION AUTHORIZATION {AUTHENTICATOR}")
                gateway.assume(cur, token)
                cur.execute("SELECT session_user, r.rolsuper, r.rolinherit FROM pg_catalog.pg_roles r"
                            " WHERE r.rolname = session_user")
                session_user, superuser, inherits = cur.fetchone()
                assert not superuser and not inherits, \
                    f"an actor statement would run logged in as {session_user} (superuser {superuser}, inherit {inherits})"
                cur.execute(statement, params)
                rows = tuple(cur.fetchall()) if cur.description else ()
                outcome = Outcome(ok=True, rows=rows, rowcount=cur.rowcount)
                cur.execute("RESET ROLE")
                if swap_identity:
                    cur.execute("RESET SESSION AUTHORIZATION")
                return outcome
    except errors.Error as exc:
        return Outcome(ok=False, sqlstate=exc.sqlstate, message=str(exc).strip())


def as_superuser(conn: psycopg.Connection, statement: str, params: Sequence[Any] | dict = ()) -> list:
    """Set-up on the owner's connection (never an actor's statement)."""
    with conn.cursor() as cur:
        cur.execute("RESET ROLE")
        cur.execute(statement, params)
        return cur.fetchall() if cur.description else []
