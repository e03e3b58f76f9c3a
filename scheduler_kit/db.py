"""Connections and SQL text: every statement the kit runs comes from a .sql file under scheduler_kit/sql."""

from __future__ import annotations

import contextlib
import functools
import re
import select
import threading
from pathlib import Path
from typing import Iterator, Mapping

import psycopg
from psycopg import sql

from .config import ConnectionSettings

SQL_DIR = Path(__file__).parent / "sql"
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


@functools.lru_cache(maxsize=None)
def sql_text(relative_path: str) -> str:
    return (SQL_DIR / relative_path).read_text(encoding="utf-8")


def render(template: str, **values: sql.Composable | str) -> str:
    """Fills `{{name}}` markers with identifiers or literals quoted by psycopg (a str is taken as an identifier).

    Only `{{...}}` is special, so SQL with braces of its own (jsonb '{}') is left alone.
    """

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"SQL template needs a value for {{{{{name}}}}}")
        value = values[name]
        if isinstance(value, str):
            value = ident(value)
        return value.as_string(None)

    return _PLACEHOLDER.sub(substitute, template)


def ident(qualified: str) -> sql.Composable:
    """`schema.name` or `name` as a quoted identifier."""
    return sql.Identifier(*qualified.split("."))


def literal(value: object) -> sql.Composable:
    return sql.Literal(value)


def dollar_quoted(text: str, tag: str) -> sql.Composable:
    """`text` as a dollar-quoted string constant: it reads in the statement exactly as written (a statement's own
    text, such as a function's definition, stays greppable and unescaped)."""
    if f"${tag}$" in text:
        raise ValueError(f"the text contains the quoting tag ${tag}$")
    return sql.SQL(f"${tag}${text}${tag}$")


class DatabaseUnreachable(ConnectionError):
    """The database cannot be reached or refuses the login; the message is one line: where, what, what to check."""


def connect(settings: ConnectionSettings, autocommit: bool = False) -> psycopg.Connection:
    try:
        return psycopg.connect(settings.conninfo(), autocommit=autocommit)
    except psycopg.OperationalError as exc:
        # libpq's message can echo the connection string's host and user, never the password.
        raise DatabaseUnreachable(settings.failure(str(exc))) from None


def _begin(conn: psycopg.Connection) -> None:
    """The first statements of every deploy transaction (the caller has opened it): a bounded lock wait, then the
    deploy lock, in one round trip."""
    conn.execute(sql_text("common/deploy_lock.sql"))


@contextlib.contextmanager
def transaction(settings: ConnectionSettings) -> Iterator[psycopg.Cursor]:
    """One connection, one transaction: everything inside commits together or not at all."""
    with connect(settings) as conn:
        with conn.transaction():
            _begin(conn)
            with conn.cursor() as cur:
                yield cur


def _healthy(conn: psycopg.Connection) -> bool:
    """An idle kept connection has nothing to read: a readable socket is the server's goodbye (a terminated
    backend's FATAL, or the end of the stream), so the connection is dropped before use, never retried after."""
    if conn.closed or conn.broken:
        return False
    try:
        readable, _, _ = select.select([conn.fileno()], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


class ConnectionCache:
    """Connections kept open between the operations of one process (a dynamic provider's), keyed by DSN.

    Logging in costs more than most of the kit's transactions (a TCP or TLS handshake, SCRAM), and the engine calls
    a provider once per resource and operation. The cache only saves the login: every operation still runs in a
    transaction of its own, and nothing read in one is kept for another. A connection is taken by one operation at a
    time (the engine calls the provider from several threads), and goes back only if that transaction ended
    cleanly; it is reset first (DISCARD ALL: temporary tables and functions, session settings, prepared
    statements), so the next operation finds it as a new login would. One that the server closed while it was kept
    is dropped when taken (see _healthy) and a new login made; a connection lost during an operation fails that
    operation, exactly as without the cache.
    """

    def __init__(self, keep: int = 8):
        self._idle: dict[str, list[psycopg.Connection]] = {}
        self._lock = threading.Lock()
        self._keep = keep
        self.logins = 0  # connections opened (tests and the bench read it)

    def _take(self, settings: ConnectionSettings) -> psycopg.Connection:
        while True:
            with self._lock:
                idle = self._idle.get(settings.conninfo())
                conn = idle.pop() if idle else None
            if conn is None:
                return self._login(settings)
            if _healthy(conn):
                return conn
            conn.close()

    def _login(self, settings: ConnectionSettings) -> psycopg.Connection:
        self.logins += 1
        conn = connect(settings)
        # No server-side prepared statements: DISCARD ALL drops them behind psycopg's back.
        conn.prepare_threshold = None
        return conn

    def _give_back(self, settings: ConnectionSettings, conn: psycopg.Connection) -> None:
        try:
            if conn.closed or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                conn.close()
                return
            conn.autocommit = True
            conn.execute("DISCARD ALL")
            conn.autocommit = False
        except psycopg.Error:
            conn.close()
            return
        with self._lock:
            idle = self._idle.setdefault(settings.conninfo(), [])
            if len(idle) < self._keep:
                idle.append(conn)
                return
        conn.close()

    @contextlib.contextmanager
    def transaction(self, settings: ConnectionSettings) -> Iterator[psycopg.Cursor]:
        """What `transaction` does, on a kept connection when there is one."""
        conn = self._take(settings)
        try:
            with conn.transaction():
                _begin(conn)
                with conn.cursor() as cur:
                    yield cur
        except BaseException:
            conn.close()
            raise
        self._give_back(settings, conn)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for conn in connections:
                conn.close()


def one_query(statements: list[str]) -> str:
    """Statements as one query text for one execute without parameters (psycopg's simple query protocol). Each ends
    on a line of its own, so a statement's last line may be a comment."""
    return "\n;\n".join(statements)


def fetch_one_dict(cur: psycopg.Cursor, query: str, params: Mapping[str, object] | None = None) -> dict | None:
    cur.execute(query, params or {})
    row = cur.fetchone()
    if row is None:
        return None
    return {col.name: value for col, value in zip(cur.description, row)}
