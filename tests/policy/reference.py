"""The plan's catalog, once per test run: the kit's model applied to an empty throwaway database on the audited
server and read back (tests/support/catalog_snapshot.py). Import the fixture into a test module to use it."""

from __future__ import annotations

import psycopg
import pytest

from tests.support.catalog_snapshot import Snapshot, reference_database, snapshot
from tests.support.plan import kit_plan


@pytest.fixture(scope="session")
def planned_catalog(policy_dsn, policy_target) -> Snapshot:
    plan = kit_plan(policy_target)
    with reference_database(policy_dsn) as dsn, psycopg.connect(dsn) as conn:
        return snapshot(conn, plan)


@pytest.fixture(scope="session")
def live_catalog(policy_dsn, policy_target) -> Snapshot:
    with psycopg.connect(policy_dsn) as conn:
        return snapshot(conn, kit_plan(policy_target))
