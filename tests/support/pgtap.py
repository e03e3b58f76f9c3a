"""Runs the generated pgTAP suite with pg_prove, the way `supabase test db` does, against one database."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass

import pytest
from psycopg.conninfo import conninfo_to_dict

from scheduler_kit.pgtap import OUTPUT

_LIBPQ_ENV = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "password": "PGPASSWORD", "dbname": "PGDATABASE",
              "sslmode": "PGSSLMODE"}


@dataclass(frozen=True)
class ProveResult:
    returncode: int
    output: str

    @property
    def passed(self) -> bool:
        return self.returncode == 0 and "Result: PASS" in self.output

    @property
    def failed_tests(self) -> list[str]:
        """The assertions that failed (`# Failed test N: "..."`): a failure of the suite's own checks."""
        return re.findall(r'^# +Failed test \d+: "(.*)"$', self.output, re.MULTILINE)

    @property
    def skips(self) -> list[str]:
        return re.findall(r"^ok \d+ # SKIP (.*)$", self.output, re.MULTILINE)


def pg_prove() -> str:
    found = shutil.which("pg_prove")
    if not found:
        pytest.fail("pg_prove is not installed: run `make pgtap-tools` (as root it installs pgTAP and pg_prove; "
                    "otherwise it prints the apt-get line to run)", pytrace=False)
    return found


def prove(dsn: str, target: str | None = None, timeout: float = 120) -> ProveResult:
    """pg_prove -v on the suite; the connection goes through libpq's environment, so no password is in argv."""
    params = conninfo_to_dict(dsn)
    env = {**os.environ, **{_LIBPQ_ENV[k]: str(v) for k, v in params.items() if k in _LIBPQ_ENV}}
    command = [pg_prove(), "--verbose", *(["--set", f"kit_target={target}"] if target else []), str(OUTPUT)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    return ProveResult(result.returncode, result.stdout + result.stderr)
