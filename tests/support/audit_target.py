"""Which target an audited database was deployed with (POLICY_TEST_TARGET, or else the database itself), and why.

The target decides the admin lookup table's rows of the access matrix: on `postgres` the kit created the API roles,
auth.jwt() and public.users; on `supabase` the platform and the application own them. The catalog tells them apart:
a Supabase project has the platform superuser `supabase_admin`, which owns the `auth` schema; on target postgres the
kit's deploying role created `auth`, `auth.jwt()` and `public.users`, so they share the owner of public.job_schedules.
Anything else is ambiguous, and the audit asks for POLICY_TEST_TARGET rather than guess."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

import psycopg

TARGETS = ("postgres", "supabase")
FACTS_SQL = (Path(__file__).parent / "audit_sql" / "target_facts.sql").read_text()


class TargetUnknown(Exception):
    """The target cannot be decided: the message says what was found and what to set."""


@dataclass(frozen=True)
class CatalogFacts:
    has_supabase_admin: bool
    auth_owner: Optional[str]   # owner of schema auth (None: no such schema)
    kit_owner: Optional[str]    # owner of public.job_schedules (None: the kit is not deployed here)
    jwt_owner: Optional[str]    # owner of auth.jwt()
    users_owner: Optional[str]  # owner of public.users


@dataclass(frozen=True)
class TargetChoice:
    target: str
    reason: str

    @property
    def header(self) -> str:
        return f"audit target: {self.target} ({self.reason})"


def explicit_target(value: str) -> TargetChoice:
    target = value.strip().lower()
    if target not in TARGETS:
        raise TargetUnknown(f"POLICY_TEST_TARGET={value!r} is not a target; set it to postgres (the kit created the "
                            "API roles, auth.jwt() and public.users) or supabase (a Supabase project), or unset it to "
                            "let the audit read it from the database")
    return TargetChoice(target, "POLICY_TEST_TARGET")


def choose_target(facts: CatalogFacts) -> TargetChoice:
    """The decision, from the catalog facts alone (pure, so the fast tests pin every branch)."""
    unset = "set POLICY_TEST_TARGET=postgres or supabase"
    if facts.kit_owner is None:
        raise TargetUnknown("there is no public.job_schedules in POLICY_TEST_DSN's database: the kit is not deployed "
                            "there (check the database name in POLICY_TEST_DSN)")
    if facts.auth_owner is None:
        raise TargetUnknown("there is no schema `auth` in POLICY_TEST_DSN's database, which both targets have (the "
                            f"kit's policies call auth.jwt()); check the database, or {unset}")
    if facts.has_supabase_admin and facts.auth_owner != facts.kit_owner:
        return TargetChoice("supabase", f"role supabase_admin exists and schema auth belongs to {facts.auth_owner}, "
                                        f"not to {facts.kit_owner}, the owner of the kit's tables")
    kit_made = {facts.auth_owner, facts.jwt_owner, facts.users_owner} == {facts.kit_owner}
    if not facts.has_supabase_admin and kit_made:
        return TargetChoice("postgres", f"no role supabase_admin; schema auth, auth.jwt() and public.users belong to "
                                        f"{facts.kit_owner}, who owns the kit's tables: the kit created the Supabase base")
    raise TargetUnknown(
        "cannot tell the target from the database: "
        f"role supabase_admin {'exists' if facts.has_supabase_admin else 'does not exist'}, the kit's tables belong to "
        f"{facts.kit_owner}, schema auth to {facts.auth_owner}, auth.jwt() to {facts.jwt_owner or '(missing)'}, "
        f"public.users to {facts.users_owner or '(missing)'}; {unset}")


def read_facts(conn: psycopg.Connection) -> CatalogFacts:
    return CatalogFacts(*conn.execute(FACTS_SQL).fetchone())


def audit_target(environ: Mapping[str, str], dsn: str) -> TargetChoice:
    """POLICY_TEST_TARGET when set (a wrong value is an error), else what the database says."""
    value = environ.get("POLICY_TEST_TARGET", "")
    if value.strip():
        return explicit_target(value)
    with psycopg.connect(dsn) as conn:
        return choose_target(read_facts(conn))
