"""The generated pgTAP suite (supabase/tests/scheduler_kit.test.sql, `make pgtap`) passes under pg_prove on the
deployment the policy suite checks: on both profiles (make test-slow runs tests/policy on each), in an audit
(POLICY_TEST_DSN) and under `make mutants`, where it is one more test a weakening must get past."""

from __future__ import annotations

import os

import pytest

from tests.support.pgtap import prove


def test_the_pgtap_suite_passes_under_pg_prove(policy_dsn, policy_target):
    # As the role that deploys (the non-superuser postgres on Supabase), with the target read from the database
    # (an audit says which with POLICY_TEST_TARGET).
    result = prove(policy_dsn, target=policy_target if os.environ.get("POLICY_TEST_DSN") else None)
    assert result.passed, f"pg_prove failed on {policy_target}: {result.failed_tests[:10]}\n{result.output[-2000:]}"
    expected_skips = {f"target {other} only" for other in ("postgres", "supabase") if other != policy_target}
    assert set(result.skips) - {"the session user may not SET ROLE authenticator"} <= expected_skips


def test_the_pgtap_suite_runs_every_cell_as_a_superuser(request, policy_target):
    """PostgREST's login role can be impersonated only by a session user that may become it: the cluster's
    superuser runs the suite with nothing skipped but the other target's checks."""
    if os.environ.get("POLICY_TEST_DSN"):
        pytest.skip("an audit has no superuser's DSN; the test above is the audit's")
    result = prove(request.getfixturevalue("deployed").admin_dsn, target=policy_target)
    assert result.passed, f"pg_prove failed on {policy_target}: {result.failed_tests[:10]}\n{result.output[-2000:]}"
    assert "the session user may not SET ROLE authenticator" not in result.skips
