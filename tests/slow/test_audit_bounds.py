"""An audit cannot hang: a lock held by another session fails the test that needs it within POLICY_TEST_LOCK_TIMEOUT,
saying so, and a spent POLICY_TEST_BUDGET stops the run (the test running then by its timeout, the next ones not
started). Each audit is a real pytest process against the session's deployed database."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psycopg

from tests.support.toolchain import ROOT


def audit(deployed, *args: str, **env: str) -> tuple[int, str, float]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("POLICY_TEST_")}
    environ.update(POLICY_TEST_DSN=deployed.dsn, POLICY_TEST_AUTHENTICATOR_DSN=deployed.actor_dsn,
                   HYPOTHESIS_PROFILE="debug", **env)
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr, time.monotonic() - start


def test_a_lock_held_elsewhere_fails_the_test_with_a_message(deployed):
    with psycopg.connect(deployed.dsn) as holder:
        holder.execute("LOCK TABLE public.job_schedules IN ACCESS EXCLUSIVE MODE")  # until the rollback below
        status, output, seconds = audit(deployed, "tests/policy/test_matrix_exhaustive.py", "-k", "test_every_cell",
                                        POLICY_TEST_LOCK_TIMEOUT="1")
        holder.rollback()
    assert status == 1, output
    assert "LockNotAvailable" in output
    assert "a statement waited more than POLICY_TEST_LOCK_TIMEOUT=1 s for a lock held by another session" in output
    assert seconds < 60


def test_a_test_past_its_timeout_is_stopped_and_says_which_bound(deployed):
    status, output, seconds = audit(deployed, "tests/policy/test_matrix_exhaustive.py", "-k", "test_every_cell",
                                    POLICY_TEST_TIMEOUT="0.5")
    assert status == 1, output
    assert "Timeout" in output and "ran longer than POLICY_TEST_TIMEOUT=0.5 s or than what was left of" in output
    assert seconds < 60


def test_a_spent_budget_stops_the_run(deployed):
    status, output, seconds = audit(deployed, "tests/policy/test_matrix_exhaustive.py",
                                    "tests/policy/test_access_properties.py", "tests/policy/test_catalog.py",
                                    POLICY_TEST_BUDGET="1")
    assert status == 3, output
    assert "audit bounds: the run 1 s" in output
    assert "the run's budget POLICY_TEST_BUDGET=1 s is spent; tests/policy/" in output
    assert "and the tests after it did not run" in output
    assert seconds < 60
