"""The kit's own PostgreSQL server (the tests' and `make review`'s), in one of two profiles (toolchain/localdb.sh
starts either on demand):

- `postgres`: plain PostgreSQL; the kit deploys as its superuser with target postgres (and creates the API roles);
- `supabase`: shaped like a Supabase project; the kit deploys as the NON-superuser `postgres` with target supabase.

On both, the policy tests' actors log in as `authenticator` (NOINHERIT, not a superuser) and switch roles with
SET LOCAL ROLE, the way PostgREST does. SCHEDKIT_TEST_ADMIN_DSN (with SCHEDKIT_TEST_AUTHENTICATOR_DSN) points the
`postgres` profile at another server. Each test module gets databases of its own, so tests never see each other's rows.
"""

from __future__ import annotations

import functools
import os
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

ROOT = Path(__file__).resolve().parents[1]

PROFILES = ("postgres", "supabase")


def selected_profile() -> str:
    profile = os.environ.get("SCHEDKIT_DB_PROFILE", "postgres")
    if profile not in PROFILES:
        raise SystemExit(f"SCHEDKIT_DB_PROFILE={profile!r}: use one of {', '.join(PROFILES)}")
    return profile


def _localdb(profile: str, command: str) -> str:
    return subprocess.run([str(ROOT / "toolchain/localdb.sh"), "--profile", profile, command], check=True,
                          capture_output=True, text=True).stdout.strip()


@dataclass(frozen=True)
class Cluster:
    admin_dsn: str  # the bootstrap superuser, on the maintenance database
    deploy_dsn: str  # the role the kit deploys as (superuser postgres, or Supabase's demoted postgres)
    authenticator_dsn: str  # PostgREST's login role, for the actors
    profile: str = "postgres"

    @classmethod
    def start(cls, profile: str | None = None) -> "Cluster":
        return _started(profile or selected_profile())

    @property
    def target(self) -> str:
        """The kit's scheduler-kit:target for this profile."""
        return "supabase" if self.profile == "supabase" else "postgres"

    def params(self) -> dict:
        """Connection parameters of the deploying role."""
        return conninfo_to_dict(self.deploy_dsn)

    def dsn_for(self, database: str) -> str:
        """The deploying role on `database`: what set-up and inspection use (a superuser only on `postgres`)."""
        return make_conninfo(self.deploy_dsn, dbname=database)

    def admin_dsn_for(self, database: str) -> str:
        return make_conninfo(self.admin_dsn, dbname=database)

    def actor_dsn_for(self, database: str) -> str:
        """`authenticator` on `database`: every actor statement of the policy tests runs through it."""
        return make_conninfo(self.authenticator_dsn, dbname=database)

    def create_database(self, prefix: str = "schedkit_test") -> str:
        name = f"{prefix}_{secrets.token_hex(4)}"
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if self.profile == "supabase":
            # A copy of the shaped template: default privileges, auth schema and users table come with it.
            statement = sql.SQL("CREATE DATABASE {} TEMPLATE supabase_template OWNER postgres").format(sql.Identifier(name))
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(statement)
        return name

    def copy_database(self, template: str, name: str) -> None:
        """`name` as a copy of `template` (nobody may be connected to it), owned as the deploying role owns it."""
        owner = sql.SQL(" OWNER postgres") if self.profile == "supabase" else sql.SQL("")
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}{}").format(sql.Identifier(name), sql.Identifier(template), owner))

    def has_database(self, name: str) -> bool:
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            return conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (name,)).fetchone()[0] == 1

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@functools.lru_cache(maxsize=None)
def _started(profile: str) -> Cluster:
    external = os.environ.get("SCHEDKIT_TEST_ADMIN_DSN")
    if external and profile == "postgres":
        authenticator = os.environ.get("SCHEDKIT_TEST_AUTHENTICATOR_DSN")
        if not authenticator:
            raise SystemExit("SCHEDKIT_TEST_ADMIN_DSN needs SCHEDKIT_TEST_AUTHENTICATOR_DSN too: a login role "
                             "`authenticator` (NOINHERIT, not a superuser) that the actors of the policy tests use")
        return Cluster(external, external, authenticator, profile)
    _localdb(profile, "start")
    return Cluster(admin_dsn=_localdb(profile, "admin-url"), deploy_dsn=_localdb(profile, "url"),
                   authenticator_dsn=_localdb(profile, "authenticator-url"), profile=profile)
