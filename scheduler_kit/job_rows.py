"""The job rows a database holds (public.job_schedules), read-only, for `make jobs-import`."""

from __future__ import annotations

from typing import Any

import psycopg

from .config import ConnectionSettings
from .db import connect, sql_text


class JobRowsError(RuntimeError):
    """The rows cannot be read; the message says where and why, never the password."""


def read_job_rows(settings: ConnectionSettings) -> list[dict[str, Any]]:
    """Each row of public.job_schedules as a dict of its columns; DatabaseUnreachable or JobRowsError."""
    with connect(settings) as conn:
        conn.read_only = True  # an import never writes
        try:
            with conn.cursor() as cur:
                cur.execute("SET statement_timeout = '60s'")
                cur.execute(sql_text("job/import_rows.sql"))
                return [row[0] for row in cur.fetchall()]
        except psycopg.errors.UndefinedTable:
            raise JobRowsError(f"{settings.redacted()} has no table public.job_schedules: nothing to import "
                               "(is this the right database?)") from None
        except psycopg.errors.InsufficientPrivilege as error:
            raise JobRowsError(f"{settings.user!r} may not read public.job_schedules on {settings.redacted()} "
                               f"({error.diag.message_primary}); connect as the role you deploy as") from None
