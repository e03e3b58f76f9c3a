"""A database with the kit's model applied straight from the plan (the statements `make sql` writes), for tests that
exercise provider code or SQL many times and do not need the engine for setting up."""

from __future__ import annotations

import contextlib
from typing import Iterator

import psycopg
from psycopg.conninfo import conninfo_to_dict

from scheduler_kit.config import ConnectionSettings, settings_from_mapping
from scheduler_kit.export_sql import build

from .cluster import Cluster


def connection_settings(dsn: str) -> ConnectionSettings:
    params = conninfo_to_dict(dsn)
    return settings_from_mapping({
        "host": params.get("host", "127.0.0.1"), "port": params.get("port", "5432"),
        "database": params["dbname"], "user": params.get("user", "postgres"),
        "password": params.get("password"), "sslmode": params.get("sslmode", "disable"),
    }).connection


@contextlib.contextmanager
def model_database(cluster: Cluster) -> Iterator[str]:
    database = cluster.create_database("schedkit_model")
    dsn = cluster.dsn_for(database)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(build("postgres", protect_history=False))
            conn.execute("INSERT INTO public.users (clerk_user_id, role) VALUES ('user_admin', 'admin')")
        yield dsn
    finally:
        cluster.drop_database(database)
