"""The audit's temporary stand-in for PostgREST's `authenticator`, for when its password is unknown (a Supabase
project does not tell it): a NOINHERIT login role that is a member of exactly the roles authenticator is a member of,
created by POLICY_TEST_DSN's role (CREATEROLE) and dropped when the run ends.

Being one SET ROLE from service_role (BYPASSRLS), it must not outlive the run, however the run ends:
- it is created `VALID UNTIL` the run's budget plus a margin, so it cannot log in afterwards even if never dropped;
- the end of the run drops it; SIGINT (Ctrl-C), SIGTERM and SIGHUP (a cancelled CI job) drop it in the signal
  handler, before the signal does what it did before (KeyboardInterrupt, or death by it). Dropping it in the handler
  matters for Ctrl-C: a KeyboardInterrupt raised inside a gc callback or a `__del__` is swallowed by Python (seen in
  CI: hypothesis's gc callback), so the run may go on; `interrupted` then tells the run to stop (tests/policy);
- after a SIGKILL it stays, expired, until the next audit's start drops it (`drop_stale`), with any other stale
  stand-in: expired ones, ones older than their recorded budget, and ones from before stand-ins expired; never one
  with a live session, nor one whose audit may still be running (its COMMENT ON ROLE records when it was created and
  its budget)."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Optional

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

AUTHENTICATOR = "authenticator"
PREFIX = "schedkit_audit_"
MAX_MARGIN = timedelta(minutes=1)  # VALID UNTIL = created + budget + min(budget, MAX_MARGIN): teardown, clock skew
_SQL = Path(__file__).parent / "audit_sql"
MEMBERSHIPS_SQL = (_SQL / "authenticator_memberships.sql").read_text()
STAND_INS_SQL = (_SQL / "stand_ins.sql").read_text()
CLEANUP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class StandInFailed(Exception):
    pass


@dataclass(frozen=True)
class StandInRow:
    name: str
    valid_until: Optional[datetime]
    comment: Optional[str]
    has_session: bool
    now: datetime

    def stale_because(self) -> Optional[str]:
        """Why this stand-in may be dropped now, or None when its audit may still be running."""
        if self.has_session:
            return None  # an audit is using it (an expired one cannot open new sessions anyway)
        if self.valid_until is not None and self.valid_until <= self.now:
            return f"expired at {self.valid_until:%Y-%m-%d %H:%M:%S%z}"
        recorded = _recorded(self.comment)
        if recorded is not None:
            created, budget = recorded
            if created + timedelta(seconds=budget) < self.now:
                return f"created {created:%Y-%m-%d %H:%M:%S%z}, older than its audit's budget of {budget:g} s"
            return None
        if self.valid_until is None:
            return "made before stand-ins expired (no VALID UNTIL, no record of its audit)"
        return None


def _recorded(comment: Optional[str]) -> Optional[tuple[datetime, float]]:
    try:
        data = json.loads(comment or "")
        return datetime.fromisoformat(data["created_at"]), float(data["budget_s"])
    except (ValueError, KeyError, TypeError):
        return None


def stand_ins(conn: psycopg.Connection) -> list[StandInRow]:
    return [StandInRow(*row) for row in conn.execute(STAND_INS_SQL).fetchall()]


def drop_stale(conn: psycopg.Connection) -> list[str]:
    """Drops the stale stand-ins of earlier audits; returns one line per role dropped."""
    dropped = []
    for row in stand_ins(conn):
        reason = row.stale_because()
        if reason:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(row.name)))
            dropped.append(f"{row.name} ({reason})")
    return dropped


def memberships(conn: psycopg.Connection, role: str) -> list[tuple[str, bool]]:
    return [tuple(r) for r in conn.execute(MEMBERSHIPS_SQL, {"name": role}).fetchall()]


class AuthenticatorStandIn:
    """`with AuthenticatorStandIn(owner_dsn, budget) as dsn:` a DSN logged in as the stand-in."""

    def __init__(self, owner_dsn: str, budget_seconds: float):
        self.owner_dsn = owner_dsn
        self.budget = budget_seconds
        self.name = f"{PREFIX}{secrets.token_hex(4)}"
        self._previous_handlers: dict = {}
        self.valid_until: Optional[datetime] = None
        self.interrupted: Optional[signal.Signals] = None  # the signal that dropped the stand-in mid-run

    def __enter__(self) -> str:
        self._install_signal_cleanup()
        password = secrets.token_urlsafe(24)
        try:
            with psycopg.connect(self.owner_dsn, autocommit=True) as conn:
                wanted = memberships(conn, AUTHENTICATOR)
                if not wanted:
                    raise StandInFailed("there is no role `authenticator` with memberships to copy")
                created = conn.execute("SELECT now()").fetchone()[0]
                budget = timedelta(seconds=self.budget)
                self.valid_until = created + budget + min(budget, MAX_MARGIN)
                record = json.dumps({"created_at": created.isoformat(), "budget_s": self.budget,
                                     "host": socket.gethostname(), "pid": os.getpid()})
                with conn.transaction():
                    conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE "
                                         "NOREPLICATION NOBYPASSRLS PASSWORD {} VALID UNTIL {}").format(
                        sql.Identifier(self.name), sql.Literal(password), sql.Literal(self.valid_until.isoformat())))
                    conn.execute(sql.SQL("COMMENT ON ROLE {} IS {}").format(sql.Identifier(self.name),
                                                                          sql.Literal(record)))
                    conn.execute(sql.SQL("GRANT {} TO {}").format(
                        sql.SQL(", ").join(sql.Identifier(role) for role, _ in wanted), sql.Identifier(self.name)))
                    got = memberships(conn, self.name)
                    expected = [(role, False) for role, _ in wanted]
                    if got != expected:
                        raise StandInFailed(f"the stand-in would be a member of {got}, authenticator is of {wanted}")
        except (psycopg.Error, StandInFailed) as exc:
            self.__exit__()
            raise StandInFailed(str(exc).strip()) from exc
        return make_conninfo(self.owner_dsn, user=self.name, password=password)

    def __exit__(self, *exc) -> None:
        try:
            self.drop()
        finally:
            self._restore_signal_handlers()

    def drop(self) -> None:
        with psycopg.connect(self.owner_dsn, autocommit=True, connect_timeout=10) as conn:
            conn.execute("SET statement_timeout = '10s'")
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(self.name)))

    def _install_signal_cleanup(self) -> None:
        for signum in CLEANUP_SIGNALS:
            self._previous_handlers[signum] = signal.signal(signum, self._on_signal)

    def _restore_signal_handlers(self) -> None:
        for signum, handler in self._previous_handlers.items():
            signal.signal(signum, handler)
        self._previous_handlers.clear()

    def _on_signal(self, signum, frame) -> None:
        """Drop the stand-in, then let the signal do what it did before: the previous handler, or death by it."""
        previous = self._previous_handlers.get(signum, signal.SIG_DFL)
        self.interrupted = signal.Signals(signum)
        try:
            self.drop()
        finally:
            self._restore_signal_handlers()
            if callable(previous):
                previous(signum, frame)
            elif previous != signal.SIG_IGN:
                signal.signal(signum, signal.SIG_DFL)
                os.kill(os.getpid(), signum)
