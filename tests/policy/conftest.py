"""The policy tests run against the deployment the test session made (on the profile SCHEDKIT_DB_PROFILE names), or,
given POLICY_TEST_DSN, against an already deployed database (a staging audit, or a mutant under `make mutants`).
Either way they leave nothing behind.

- POLICY_TEST_DSN: a role that may read the catalog and that owns the kit's objects or can see them (postgres on
  Supabase); used only for catalog checks.
- POLICY_TEST_AUTHENTICATOR_DSN: PostgREST's login role (`authenticator`: NOINHERIT, not a superuser, a member of
  anon, authenticated and service_role). Every actor statement and the seeding (as service_role) go through it.
  Without it (a Supabase project does not tell you authenticator's password), the audit makes a stand-in for the
  session: a temporary NOINHERIT login role that is a member of exactly the roles authenticator is a member of,
  created by POLICY_TEST_DSN's role (Supabase's postgres has CREATEROLE) and dropped at the end.
- POLICY_TEST_TARGET: postgres (the kit created the API roles and the users table) or supabase (the default when
  auditing: the platform and the application own them); picks the admin lookup table's rows of the matrix."""

from __future__ import annotations

import os
import secrets

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from tests.policy.harness import load_matrix, seed, totals


def _audit() -> bool:
    return bool(os.environ.get("POLICY_TEST_DSN"))


@pytest.fixture(scope="session")
def policy_dsn(request):
    return os.environ["POLICY_TEST_DSN"] if _audit() else request.getfixturevalue("deployed").dsn


@pytest.fixture(scope="session")
def actor_dsn(request):
    if not _audit():
        yield request.getfixturevalue("deployed").actor_dsn
    elif os.environ.get("POLICY_TEST_AUTHENTICATOR_DSN"):
        yield os.environ["POLICY_TEST_AUTHENTICATOR_DSN"]
    else:
        with authenticator_stand_in(os.environ["POLICY_TEST_DSN"]) as dsn:
            yield dsn


STAND_IN = """
SELECT coalesce(array_agg(g.rolname::text), '{}') FROM pg_auth_members m
  JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles a ON a.oid = m.member WHERE a.rolname = 'authenticator'
"""


class authenticator_stand_in:
    """A temporary login role with authenticator's semantics (NOINHERIT, not a superuser, the same memberships)."""

    def __init__(self, owner_dsn: str):
        self.owner_dsn = owner_dsn
        self.name = f"schedkit_audit_{secrets.token_hex(4)}"

    def __enter__(self) -> str:
        password = secrets.token_urlsafe(24)
        try:
            with psycopg.connect(self.owner_dsn, autocommit=True) as conn:
                roles = conn.execute(STAND_IN).fetchone()[0]
                if not roles:
                    raise psycopg.Error("there is no role `authenticator` with memberships to copy")
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOINHERIT NOSUPERUSER NOBYPASSRLS PASSWORD {}").format(
                    sql.Identifier(self.name), sql.Literal(password)))
                conn.execute(sql.SQL("GRANT {} TO {}").format(
                    sql.SQL(", ").join(map(sql.Identifier, sorted(roles))), sql.Identifier(self.name)))
        except psycopg.Error as exc:
            self.__exit__()
            pytest.exit("POLICY_TEST_AUTHENTICATOR_DSN is not set and no stand-in for authenticator could be made as "
                        f"POLICY_TEST_DSN's role ({str(exc).strip()}); give authenticator's DSN, or a role with "
                        "CREATEROLE (see README, Auditing a live database)", returncode=4)
        return make_conninfo(self.owner_dsn, user=self.name, password=password)

    def __exit__(self, *exc) -> None:
        with psycopg.connect(self.owner_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(self.name)))


@pytest.fixture(scope="session")
def policy_target(request) -> str:
    if _audit():
        return os.environ.get("POLICY_TEST_TARGET", "supabase")
    return request.getfixturevalue("cluster").target


@pytest.fixture(scope="session")
def cells(policy_target):
    return load_matrix(policy_target)


@pytest.fixture
def seeded(actor_dsn):
    """An authenticator connection inside a transaction holding the seeded rows; rolled back at the end."""
    with psycopg.connect(actor_dsn) as conn:
        conn.execute("BEGIN")
        seed(conn)
        yield conn
        conn.rollback()


@pytest.fixture
def known(seeded):
    return totals(seeded)
