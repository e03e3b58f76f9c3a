"""An audit (`make test-policies` with POLICY_TEST_DSN and no authenticator DSN) stopped anywhere leaves no usable
stand-in for authenticator: SIGTERM and Ctrl-C drop it on the way out; after a SIGKILL it stays, but it expires with
the run's budget (it can log in before and not after) and the next audit drops it. The stand-in is a member of
exactly authenticator's roles. Each audit is a real pytest process against the session's deployed database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import datetime

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from tests.support.audit_stand_in import PREFIX, memberships
from tests.support.toolchain import ROOT

AUDIT = ["tests/policy/test_matrix_exhaustive.py"]
# What an audit stopped midway runs: long enough (minutes) that the signal always finds it running; the matrix file
# alone can end within the moment between its stand-in logging in and the signal (seen: 3 passed in 2.75 s).
RUNNING_AUDIT = ["tests/policy"]


@pytest.fixture
def admin(deployed):
    with psycopg.connect(deployed.admin_dsn, autocommit=True) as conn:
        yield conn


def stand_ins(admin) -> dict[str, dict]:
    rows = admin.execute(
        "SELECT r.rolname, r.rolvaliduntil, shobj_description(r.oid, 'pg_authid'),"
        " EXISTS (SELECT FROM pg_stat_activity s WHERE s.usename = r.rolname)"
        " FROM pg_roles r WHERE r.rolname LIKE %s", (PREFIX.replace("_", r"\_") + "%",)).fetchall()
    return {name: {"valid_until": until, "comment": comment, "in_use": in_use} for name, until, comment, in_use in rows}


def created_by(stand_in: dict):
    try:
        return json.loads(stand_in["comment"] or "")["pid"]
    except (ValueError, KeyError, TypeError):
        return None


def audit(deployed, *args: str, **env: str) -> subprocess.Popen:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("POLICY_TEST_")}
    environ.update(POLICY_TEST_DSN=deployed.dsn, HYPOTHESIS_PROFILE="debug", **env)
    return subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=ROOT,
                            env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(condition, what: str, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what} after {seconds:g} s")


@contextmanager
def audit_in_use(deployed, admin, **env):
    """An audit running, with its stand-in logged in (the audit is midway: its tests have started)."""
    before = set(stand_ins(admin))
    process = audit(deployed, *RUNNING_AUDIT, **env)
    try:
        # Its own stand-in: the COMMENT records the creating process (another test's audit or `make matrix` may have
        # one in the same cluster at the same time).
        name = wait_for(lambda: next((n for n, r in stand_ins(admin).items()
                                      if n not in before and r["in_use"] and created_by(r) == process.pid), None),
                        "the audit's stand-in to log in")
        yield process, name
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def can_log_in(deployed, role: str, password: str) -> bool:
    try:
        psycopg.connect(make_conninfo(deployed.dsn, user=role, password=password), connect_timeout=5).close()
        return True
    except psycopg.OperationalError:
        return False


@pytest.mark.parametrize("stop, exit_status", [(signal.SIGTERM, -signal.SIGTERM), (signal.SIGINT, 2)],
                         ids=["SIGTERM", "SIGINT"])
def test_an_audit_stopped_by_a_signal_drops_its_stand_in(deployed, admin, stop, exit_status):
    with audit_in_use(deployed, admin) as (process, name):
        assert memberships(admin, name) == [(role, False) for role, _ in memberships(admin, "authenticator")]
        process.send_signal(stop)
        output, _ = process.communicate(timeout=60)
        assert process.returncode == exit_status, output
        assert name not in stand_ins(admin), f"{name} left behind after {stop.name}:\n{output}"


def test_after_a_sigkill_the_stand_in_expires_and_the_next_audit_drops_it(deployed, admin):
    with audit_in_use(deployed, admin, POLICY_TEST_BUDGET="4") as (process, name):
        process.kill()
        process.communicate(timeout=30)
    left = stand_ins(admin)[name]
    record = json.loads(left["comment"])
    created = datetime.fromisoformat(record["created_at"])
    assert record["budget_s"] == 4 and (left["valid_until"] - created).total_seconds() == pytest.approx(8, abs=0.01)
    assert memberships(admin, name) == [(role, False) for role, _ in memberships(admin, "authenticator")]
    # Its password died with the process; give it a known one to show what VALID UNTIL does.
    admin.execute(sql.SQL("ALTER ROLE {} PASSWORD 'known-for-this-test'").format(sql.Identifier(name)))
    if admin.execute("SELECT now() < %s", (left["valid_until"],)).fetchone()[0]:
        assert can_log_in(deployed, name, "known-for-this-test")
    wait_for(lambda: admin.execute("SELECT now() > %s", (left["valid_until"],)).fetchone()[0], "the expiry", 30)
    assert not can_log_in(deployed, name, "known-for-this-test")

    before = set(stand_ins(admin))
    next_audit = audit(deployed, "--collect-only", *AUDIT)  # its start is what drops stale stand-ins
    output, _ = next_audit.communicate(timeout=120)
    assert next_audit.returncode == 0, output
    assert f"audit: dropped a stale stand-in for authenticator: {name} (expired at" in output
    assert "audit target: postgres (no role supabase_admin;" in output
    assert set(stand_ins(admin)) == before - {name}
