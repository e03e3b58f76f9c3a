"""Shared fixtures and hypothesis profiles.

Fast tests (no marker) need nothing but Python. Tests marked `slow` use a real PostgreSQL server (the kit's own
cluster, started on demand) and, where they say so, the real Pulumi engine through the Automation API.
Profiles: `default` for a developer's run, `ci` (more examples, derandomized), `debug` (verbose, few examples) and
`mutants` (for `make mutants`); choose one with HYPOTHESIS_PROFILE (CI=true, 1 or yes selects `ci`; see
tests/support/profile.py).
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, Phase, Verbosity, settings

from scheduler_kit.gateway import Gateway
from tests.support.cluster import Cluster
from tests.support.deploy import deployed_database
from tests.support.profile import hypothesis_profile
from tests.support.tokens import TokenFactory
from tests.support.tracebacks import make_report_printable

settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile(
    "ci", max_examples=400, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("debug", max_examples=10, deadline=None, verbosity=Verbosity.verbose)
# `make mutants` runs the policy tests once per mutant: fewer random examples, the exhaustive matrix in full, and no
# shrinking: the runner needs to know that an assertion failed and where, not the smallest example, and shrinking a
# failure against a live database can take longer than finding it. No example database, so a verdict does not depend
# on what earlier mutants left behind.
settings.register_profile("mutants", max_examples=30, deadline=None, derandomize=True, database=None,
                          phases=[Phase.explicit, Phase.reuse, Phase.generate],
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(hypothesis_profile())


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: needs a real PostgreSQL server (and maybe the Pulumi engine)")
    config.addinivalue_line("markers", "review: `make review` on pull-request-like changes (slow: several deploys)")
    config.addinivalue_line("markers", "adoption: adopting the users' database (tests/adoption/; slow, a stream of its own)")


@pytest.fixture(scope="session")
def cluster() -> Cluster:
    """The profile SCHEDKIT_DB_PROFILE names (postgres by default)."""
    return Cluster.start()


@pytest.fixture(scope="session")
def supabase_cluster() -> Cluster:
    """The Supabase-shaped profile, whatever SCHEDKIT_DB_PROFILE says (for the tests that are about Supabase)."""
    return Cluster.start("supabase")


@pytest.fixture(scope="session")
def deployed(cluster):
    """One database with the kit deployed by the real engine, shared by tests that roll their changes back."""
    with deployed_database(cluster) as stack:
        yield stack


@pytest.fixture
def conn(deployed):
    with psycopg.connect(deployed.dsn) as connection:
        yield connection


@pytest.fixture(scope="session")
def tokens() -> TokenFactory:
    return TokenFactory()


@pytest.fixture(scope="session")
def gateway(tokens) -> Gateway:
    return Gateway(tokens.gateway_config())


# `make test-slow` spreads the slow files over two xdist workers, a file to a worker (--dist loadgroup, each file a
# group, so its module fixtures are built once). These share one worker: each audit counts the cluster's stand-in
# roles (cluster-wide), which another audit, or `make matrix` (its stand-in has the same prefix), running at the
# same time would change.
SHARED_WORKER = {"test_audit_interrupted.py": "audits", "test_audit_bounds.py": "audits",
                 "test_access_matrix.py": "audits"}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_makereport(item, call):
    make_report_printable(call.excinfo)  # before pytest formats it (tests/support/tracebacks.py)


@pytest.hookimpl(tryfirst=True)
def pytest_keyboard_interrupt(excinfo):
    make_report_printable(excinfo)


def pytest_collection_modifyitems(config, items):
    # Everything under tests/slow/ and tests/policy/ is slow; the marker lets `make test-fast` and
    # `make test-slow` split the suite.
    for item in items:
        path = Path(str(item.fspath))
        item.add_marker(pytest.mark.xdist_group(SHARED_WORKER.get(path.name, item.nodeid.split("::")[0])))
        if "/tests/slow/" in str(item.fspath) or "/tests/policy/" in str(item.fspath):
            item.add_marker(pytest.mark.slow)
        if "/tests/adoption/" in str(item.fspath):
            item.add_marker(pytest.mark.slow)
            item.add_marker(pytest.mark.adoption)
