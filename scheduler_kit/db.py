"""Connections and SQL text: every statement the kit runs comes from a .sql file under scheduler_kit/sql."""

from __future__ import annotations

import contextlib
import functools
import re
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


def check_reachable(settings: ConnectionSettings) -> None:
    """Connects once and disconnects: DatabaseUnreachable when that fails."""
    connect(settings, autocommit=True).close()


@contextlib.contextmanager
def transaction(settings: ConnectionSettings) -> Iterator[psycopg.Cursor]:
    """One connection, one transaction: everything inside commits together or not at all."""
    with connect(settings) as conn:
        with conn.transaction():
            with conn.cursor() as cur:
                # A deploy waits for locks a bounded time instead of hanging behind a long transaction.
                cur.execute("SET LOCAL lock_timeout = '30s'")
                cur.execute(sql_text("common/deploy_lock.sql"))
                yield cur


def fetch_one_dict(cur: psycopg.Cursor, query: str, params: Mapping[str, object] | None = None) -> dict | None:
    cur.execute(query, params or {})
    row = cur.fetchone()
    if row is None:
        return None
    return {col.name: value for col, value in zip(cur.description, row)}
