"""The policy tests run against the deployment the test session made (on the profile SCHEDKIT_DB_PROFILE names), or,
given POLICY_TEST_DSN, against an already deployed database (a staging audit, or a mutant under `make mutants`).
Either way they leave nothing behind.

- POLICY_TEST_DSN: a role that may read the catalog and that owns the kit's objects or can see them (postgres on
  Supabase); used only for catalog checks.
- POLICY_TEST_AUTHENTICATOR_DSN: PostgREST's login role (`authenticator`: NOINHERIT, not a superuser, a member of
  anon, authenticated and service_role). Every actor statement and the seeding (as service_role) go through it.
- POLICY_TEST_TARGET: postgres (the kit created the API roles and the users table) or supabase (the default when
  auditing: the platform and the application own them); picks the admin lookup table's rows of the matrix."""

from __future__ import annotations

import os

import psycopg
import pytest

from tests.policy.harness import load_matrix, seed, totals


def _audit() -> bool:
    return bool(os.environ.get("POLICY_TEST_DSN"))


@pytest.fixture(scope="session")
def policy_dsn(request):
    return os.environ["POLICY_TEST_DSN"] if _audit() else request.getfixturevalue("deployed").dsn


@pytest.fixture(scope="session")
def actor_dsn(request):
    if _audit():
        dsn = os.environ.get("POLICY_TEST_AUTHENTICATOR_DSN")
        if not dsn:
            pytest.exit("POLICY_TEST_DSN is set but POLICY_TEST_AUTHENTICATOR_DSN is not: the audit's actors log in as "
                        "PostgREST's authenticator role (see README, Auditing a live database)", returncode=4)
        return dsn
    return request.getfixturevalue("deployed").actor_dsn


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
