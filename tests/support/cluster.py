"""A PostgreSQL server for the tests: the kit's own local cluster (started on demand), or the one named by
SCHEDKIT_TEST_ADMIN_DSN. Each test module gets databases of its own, so tests never see each other's rows."""

from __future__ import annotations

import os
import secrets
import subprocess
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from .toolchain import ROOT


@dataclass(frozen=True)
class Cluster:
    admin_dsn: str  # a superuser on the maintenance database

    @classmethod
    def start(cls) -> "Cluster":
        dsn = os.environ.get("SCHEDKIT_TEST_ADMIN_DSN")
        if not dsn:
            subprocess.run([str(ROOT / "toolchain/localdb.sh"), "start"], check=True)
            dsn = subprocess.run(
                [str(ROOT / "toolchain/localdb.sh"), "url"], check=True, capture_output=True, text=True
            ).stdout.strip()
        return cls(dsn)

    def params(self) -> dict:
        return conninfo_to_dict(self.admin_dsn)

    def dsn_for(self, database: str) -> str:
        return make_conninfo(self.admin_dsn, dbname=database)

    def create_database(self, prefix: str = "schedkit_test") -> str:
        name = f"{prefix}_{secrets.token_hex(4)}"
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
