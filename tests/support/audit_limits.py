"""The audit's time bounds: a timeout per test, a budget for the whole run, and statement and lock timeouts on every
connection the policy tests open, so that a lock held by production traffic fails one test with a clear message
instead of waiting for ever. Each has a POLICY_TEST_* variable (seconds); the defaults fit the suite's usual minutes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from psycopg.conninfo import conninfo_to_dict, make_conninfo

DEFAULTS = {
    "POLICY_TEST_BUDGET": 1200.0,            # the whole run; the stand-in for authenticator expires after it
    "POLICY_TEST_TIMEOUT": 300.0,            # one test, its fixtures included
    "POLICY_TEST_STATEMENT_TIMEOUT": 60.0,   # one statement
    "POLICY_TEST_LOCK_TIMEOUT": 5.0,         # waiting for one lock
    "POLICY_TEST_CONNECT_TIMEOUT": 15.0,     # opening one connection
}


class BadLimit(ValueError):
    pass


def _seconds(environ: Mapping[str, str], name: str) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return DEFAULTS[name]
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise BadLimit(f"{name}={raw!r}: give a number of seconds greater than 0 (default {DEFAULTS[name]:g})")
    return value


@dataclass(frozen=True)
class AuditLimits:
    budget: float
    per_test: float
    statement_timeout: float
    lock_timeout: float
    connect_timeout: float

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> "AuditLimits":
        return cls(*(_seconds(environ, name) for name in DEFAULTS))

    def test_timeout(self, remaining_budget: float) -> float:
        """A test may take its own limit, and never more than what is left of the run's budget."""
        return max(1.0, min(self.per_test, remaining_budget))

    def bounded(self, dsn: str) -> str:
        """`dsn` with the statement and lock timeouts every session of the audit runs under (libpq `options`, so
        they hold for every connection opened from it, and beat a role's own settings such as authenticator's)."""
        params = conninfo_to_dict(dsn)
        options = " ".join(filter(None, [
            params.get("options", ""),
            f"-c statement_timeout={int(self.statement_timeout * 1000)}",
            f"-c lock_timeout={int(self.lock_timeout * 1000)}",
        ]))
        extra = {"options": options}
        if "connect_timeout" not in params:
            extra["connect_timeout"] = str(max(2, int(self.connect_timeout)))
        return make_conninfo(dsn, **extra)


def timeout_explanation(sqlstate: str | None, limits: AuditLimits) -> str | None:
    """What a bounded session's refusal means for the audit (None: not one of the audit's own bounds)."""
    if sqlstate == "55P03":
        return (f"a statement waited more than POLICY_TEST_LOCK_TIMEOUT={limits.lock_timeout:g} s for a lock held by "
                "another session (production traffic, a migration, another audit). Nothing was changed; re-run when "
                "the table is quiet, or raise POLICY_TEST_LOCK_TIMEOUT.")
    if sqlstate == "57014":
        return (f"a statement ran longer than POLICY_TEST_STATEMENT_TIMEOUT={limits.statement_timeout:g} s and was "
                "cancelled (a slow or overloaded server, or a statement that reads the whole history). Nothing was "
                "changed; raise POLICY_TEST_STATEMENT_TIMEOUT if the server is just slow.")
    return None
