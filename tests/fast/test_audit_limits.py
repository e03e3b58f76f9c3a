"""The audit's bounds: read from POLICY_TEST_* (seconds), put on every connection, and explained when they stop a test."""

import pytest
from psycopg.conninfo import conninfo_to_dict

from tests.support.audit_limits import AuditLimits, BadLimit, timeout_explanation


def test_defaults_and_overrides():
    defaults = AuditLimits.from_environ({})
    assert (defaults.budget, defaults.per_test, defaults.statement_timeout, defaults.lock_timeout) == (1200, 300, 60, 5)
    mine = AuditLimits.from_environ({"POLICY_TEST_BUDGET": "90", "POLICY_TEST_LOCK_TIMEOUT": "0.5"})
    assert (mine.budget, mine.lock_timeout, mine.per_test) == (90, 0.5, 300)


@pytest.mark.parametrize("raw", ["0", "-3", "ten", "nan"])
def test_a_bad_value_names_the_variable(raw):
    with pytest.raises(BadLimit, match=rf"POLICY_TEST_TIMEOUT='{raw}': give a number of seconds greater than 0"):
        AuditLimits.from_environ({"POLICY_TEST_TIMEOUT": raw})


def test_a_test_never_outlives_the_budget():
    limits = AuditLimits.from_environ({"POLICY_TEST_TIMEOUT": "300"})
    assert limits.test_timeout(1000) == 300
    assert limits.test_timeout(42.5) == 42.5
    assert limits.test_timeout(-5) == 1  # pytest-timeout needs a positive value; the run stops before the next test


def test_every_connection_gets_the_statement_and_lock_timeouts():
    limits = AuditLimits.from_environ({"POLICY_TEST_STATEMENT_TIMEOUT": "30", "POLICY_TEST_LOCK_TIMEOUT": "2"})
    params = conninfo_to_dict(limits.bounded("postgresql://u:p@db.example:5432/postgres?sslmode=require"))
    assert params["options"] == "-c statement_timeout=30000 -c lock_timeout=2000"
    assert (params["user"], params["password"], params["sslmode"], params["connect_timeout"]) == \
        ("u", "p", "require", "15")
    kept = conninfo_to_dict(limits.bounded("host=h dbname=d options='-c search_path=x' connect_timeout=3"))
    assert kept["options"] == "-c search_path=x -c statement_timeout=30000 -c lock_timeout=2000"
    assert kept["connect_timeout"] == "3"


def test_what_a_bound_says_when_it_stops_a_test():
    limits = AuditLimits.from_environ({})
    assert "waited more than POLICY_TEST_LOCK_TIMEOUT=5 s for a lock held by another session" in \
        timeout_explanation("55P03", limits)
    assert "longer than POLICY_TEST_STATEMENT_TIMEOUT=60 s" in timeout_explanation("57014", limits)
    assert timeout_explanation("42501", limits) is None
