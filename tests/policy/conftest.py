"""The policy tests run against the deployment the test session made, or, given POLICY_TEST_DSN, against an already
deployed database (a staging audit, or a mutant under `make mutants`). Either way they leave nothing behind."""

from __future__ import annotations

import os

import psycopg
import pytest

from tests.policy.harness import seed


@pytest.fixture(scope="session")
def policy_dsn(request):
    dsn = os.environ.get("POLICY_TEST_DSN")
    if dsn:
        return dsn
    return request.getfixturevalue("deployed").dsn


@pytest.fixture
def seeded(policy_dsn):
    """A connection inside a transaction holding the seeded rows; rolled back at the end."""
    with psycopg.connect(policy_dsn) as conn:
        conn.execute("BEGIN")
        seed(conn)
        yield conn
        conn.rollback()
