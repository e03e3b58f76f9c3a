"""The policy tests run against the deployment the test session made (on the profile SCHEDKIT_DB_PROFILE names), or,
given POLICY_TEST_DSN, against an already deployed database (a staging audit, or a mutant under `make mutants`).
Either way they leave nothing behind.

- POLICY_TEST_DSN: a role that may read the catalog and that owns the kit's objects or can see them (postgres on
  Supabase); used only for catalog checks.
- POLICY_TEST_AUTHENTICATOR_DSN: PostgREST's login role (`authenticator`: NOINHERIT, not a superuser, a member of
  anon, authenticated and service_role). Every actor statement and the seeding (as service_role) go through it.
  Without it (a Supabase project does not tell you authenticator's password), the audit makes a stand-in for the
  session (tests/support/audit_stand_in.py): a NOINHERIT login role, a member of exactly the roles authenticator is
  a member of, created by POLICY_TEST_DSN's role (Supabase's postgres has CREATEROLE), expiring after the run's
  budget and dropped at the end, on SIGTERM, or by the next audit.
- POLICY_TEST_TARGET: postgres (the kit created the API roles and the users table) or supabase; when unset, an audit
  reads it from the database (tests/support/audit_target.py). It picks the admin lookup table's rows of the matrix.
- POLICY_TEST_BUDGET, POLICY_TEST_TIMEOUT, POLICY_TEST_STATEMENT_TIMEOUT, POLICY_TEST_LOCK_TIMEOUT (seconds): the
  audit's bounds (tests/support/audit_limits.py): the whole run, one test, one statement, one lock wait. The statement
  and lock timeouts hold for every connection the policy tests open, audit or not."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Optional

import psycopg
import pytest

from tests.policy.harness import load_matrix, seed, totals
from tests.support.audit_limits import AuditLimits, BadLimit, timeout_explanation
from tests.support.audit_stand_in import AuthenticatorStandIn, StandInFailed, drop_stale
from tests.support.audit_target import TargetChoice, TargetUnknown, audit_target


def _audit() -> bool:
    return bool(os.environ.get("POLICY_TEST_DSN"))


@dataclass
class AuditRun:
    """What an audit decides once, at the start of the run: its bounds, its target, the stale stand-ins it dropped."""
    limits: AuditLimits
    deadline: float  # time.monotonic() by which the run ends
    target: Optional[TargetChoice] = None
    notes: list[str] = field(default_factory=list)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()


_RUN = pytest.StashKey[AuditRun]()
STAND_IN = pytest.StashKey[AuthenticatorStandIn]()


def _limits() -> AuditLimits:
    try:
        return AuditLimits.from_environ(os.environ)
    except BadLimit as exc:
        pytest.exit(str(exc), returncode=4)


def audit_run(config: pytest.Config) -> Optional[AuditRun]:
    """The audit's decisions, made at the session's start (or at first use when this conftest is not an initial one)."""
    if not _audit():
        return None
    if _RUN not in config.stash:
        limits = _limits()
        run = AuditRun(limits, time.monotonic() + limits.budget)
        dsn = limits.bounded(os.environ["POLICY_TEST_DSN"])
        try:
            run.target = audit_target(os.environ, dsn)
        except TargetUnknown as exc:
            pytest.exit(f"audit: {exc}", returncode=4)
        except psycopg.Error as exc:
            pytest.exit(f"audit: cannot read the catalog as POLICY_TEST_DSN's role: {str(exc).strip()}", returncode=4)
        try:
            with psycopg.connect(dsn, autocommit=True) as conn:
                run.notes += [f"audit: dropped a stale stand-in for authenticator: {line}" for line in drop_stale(conn)]
        except psycopg.Error as exc:
            run.notes.append(f"audit: could not look for stale stand-ins ({str(exc).strip()}); "
                             "drop leftover schedkit_audit_* roles by hand")
        config.stash[_RUN] = run
    return config.stash[_RUN]


def _audit_lines(run: AuditRun) -> list[str]:
    limits = run.limits
    return [run.target.header,
            f"audit bounds: the run {limits.budget:g} s, a test {limits.per_test:g} s, a statement "
            f"{limits.statement_timeout:g} s, a lock wait {limits.lock_timeout:g} s",
            *run.notes]


def pytest_sessionstart(session):
    run = audit_run(session.config)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if run is not None and reporter is not None and not reporter.showheader:  # -q hides the header: say it anyway
        for line in _audit_lines(run):
            reporter.write_line(line)


def pytest_report_header(config):
    run = audit_run(config)
    return None if run is None else _audit_lines(run)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    """In an audit, no test starts after the budget is spent, and none runs past it (pytest-timeout, whose own
    hook reads the marker this sets)."""
    run = audit_run(item.config) if "/tests/policy/" in str(item.fspath) else None
    if run is not None:
        remaining = run.remaining()
        if remaining <= 0:
            pytest.exit(f"audit: the run's budget POLICY_TEST_BUDGET={run.limits.budget:g} s is spent; "
                        f"{item.nodeid} and the tests after it did not run", returncode=3)
        item.add_marker(pytest.mark.timeout(run.limits.test_timeout(remaining)))
    yield
    stand_in = item.config.stash.get(STAND_IN, None)
    if stand_in is not None and stand_in.interrupted is not None:
        # The signal dropped the stand-in; if its KeyboardInterrupt was swallowed, stop here as Ctrl-C would (exit 2).
        item.session.shouldstop = f"audit: {stand_in.interrupted.name} received; its stand-in for authenticator is dropped"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A test stopped by one of the audit's bounds says which bound, and what to do."""
    outcome = yield
    report = outcome.get_result()
    if not report.failed or call.excinfo is None:
        return
    limits = _limits()
    error = call.excinfo.value
    while error is not None and not isinstance(error, psycopg.Error):
        error = error.__cause__ or error.__context__
    explanation = timeout_explanation(getattr(error, "sqlstate", None), limits)
    if explanation is None and "from pytest-timeout" in str(report.longrepr) and _audit():
        explanation = (f"the test ran longer than POLICY_TEST_TIMEOUT={limits.per_test:g} s or than what was left of "
                       f"POLICY_TEST_BUDGET={limits.budget:g} s, and was stopped; its transaction is rolled back.")
    if explanation:
        report.sections.append(("audit bounds", explanation))


@pytest.fixture(scope="session")
def audit_limits() -> AuditLimits:
    return _limits()


@pytest.fixture(scope="session")
def policy_dsn(request, audit_limits):
    dsn = os.environ["POLICY_TEST_DSN"] if _audit() else request.getfixturevalue("deployed").dsn
    return audit_limits.bounded(dsn)


@pytest.fixture(scope="session")
def actor_dsn(request, audit_limits):
    if not _audit():
        yield audit_limits.bounded(request.getfixturevalue("deployed").actor_dsn)
    elif os.environ.get("POLICY_TEST_AUTHENTICATOR_DSN"):
        yield audit_limits.bounded(os.environ["POLICY_TEST_AUTHENTICATOR_DSN"])
    else:
        audit_run(request.config)
        stand_in = AuthenticatorStandIn(audit_limits.bounded(os.environ["POLICY_TEST_DSN"]), audit_limits.budget)
        request.config.stash[STAND_IN] = stand_in
        try:
            dsn = stand_in.__enter__()
        except StandInFailed as exc:
            pytest.exit("POLICY_TEST_AUTHENTICATOR_DSN is not set and no stand-in for authenticator could be made as "
                        f"POLICY_TEST_DSN's role ({exc}); give authenticator's DSN, or a role with CREATEROLE (see "
                        "docs/auditing.md)", returncode=4)
        try:
            yield dsn  # the bounded owner DSN's, with the stand-in's name and password
        finally:
            stand_in.__exit__()


@pytest.fixture(scope="session")
def policy_target(request) -> str:
    run = audit_run(request.config)
    if run is not None:
        return run.target.target
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
