"""A temporary stand-in for PostgREST's login role, for observing a database whose `authenticator` password nobody
has (a Supabase project): a NOINHERIT, non-superuser login role that is a member of exactly the roles authenticator
is a member of, created by the owner's role (Supabase's postgres has CREATEROLE) and dropped at the end."""

from __future__ import annotations

import secrets

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from scheduler_kit.db import sql_text


class StandInError(RuntimeError):
    """No stand-in could be made; the message says why and what to give instead."""


class AuthenticatorStandIn:
    def __init__(self, owner_dsn: str):
        self.owner_dsn = owner_dsn
        self.name = f"schedkit_audit_{secrets.token_hex(4)}"

    def __enter__(self) -> str:
        password = secrets.token_urlsafe(24)
        try:
            with psycopg.connect(self.owner_dsn, autocommit=True) as conn:
                roles = conn.execute(sql_text("access/authenticator_memberships.sql")).fetchone()[0]
                if not roles:
                    raise psycopg.Error("there is no role `authenticator` with memberships to copy")
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOINHERIT NOSUPERUSER NOBYPASSRLS PASSWORD {}").format(
                    sql.Identifier(self.name), sql.Literal(password)))
                conn.execute(sql.SQL("GRANT {} TO {}").format(
                    sql.SQL(", ").join(map(sql.Identifier, roles)), sql.Identifier(self.name)))
        except psycopg.Error as exc:
            self._drop()
            raise StandInError(f"no stand-in for authenticator could be made as POLICY_TEST_DSN's role "
                               f"({str(exc).strip()}); give POLICY_TEST_AUTHENTICATOR_DSN, or a role with "
                               "CREATEROLE") from None
        return make_conninfo(self.owner_dsn, user=self.name, password=password)

    def __exit__(self, *exc) -> None:
        self._drop()

    def _drop(self) -> None:
        try:
            with psycopg.connect(self.owner_dsn, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(self.name)))
        except psycopg.Error:
            pass  # the connection itself failed: the role was never made
