"""The admin check must not rest on a table its callers can write.

`scheduler_private.is_admin()` trusts the rows of the admin lookup table (stack config: adminTable, adminIdColumn,
adminRoleColumn). On Supabase that table belongs to the application, and Supabase's default privileges give anon and
authenticated ALL on every new table in `public`: with row level security off, or a policy that lets a user write
their own row, anyone signed in could make themselves an admin. This resource looks at the live table on every
preview and deployment (check) and refuses, naming the table, the role, the privilege and the fix; its `read`
reports a table that became writable later as drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import psycopg
from psycopg import sql
from pulumi.dynamic import CheckFailure, CheckResult

from ..db import literal, render, sql_text
from .base import SqlObject, SqlObjectProvider, connections, sql_resource_type


@dataclass
class AdminLookupInputs:
    table: str
    id_column: str
    role_column: str
    # The roles API callers act as; none of them may be able to write the table.
    roles: list[str] = field(default_factory=lambda: ["anon", "authenticated"])


class AdminLookupWritable(RuntimeError):
    """The admin lookup table can be written by an API role."""


def describe_writers(inputs: AdminLookupInputs, writers: list[dict[str, Any]]) -> str:
    causes = "; ".join(
        f"{w['role']} may {w['command']} column{'s' if len(w['columns']) > 1 else ''} {', '.join(w['columns'])} "
        f"({'a table' if w['on_table'] else 'a column'} grant) and {w['open_because']}"
        for w in writers
    )
    roles = ", ".join(sorted({w["role"] for w in writers}))
    commands = ", ".join(sorted({w["command"] for w in writers}))
    return (
        f"the admin lookup table {inputs.table} is writable by API callers: {causes}. Anyone acting as {roles} could "
        f"make themselves an admin of the scheduler. Fix: `REVOKE {commands} ON {inputs.table} FROM {roles};` "
        f"(or keep the grant, enable row level security and give {roles} no {commands} policy on it), "
        "then run `pulumi up` again. (stack config scheduler-kit:adminTable names the table)"
    )


class AdminLookupProvider(SqlObjectProvider[AdminLookupInputs]):
    inputs_type = AdminLookupInputs

    def object_id(self, inputs: AdminLookupInputs) -> str:
        return f"admin-lookup:{inputs.table}"

    @staticmethod
    def _writers_query(inputs: AdminLookupInputs) -> str:
        return render(sql_text("admin_lookup/writers.sql"), table=literal(inputs.table), roles=literal(inputs.roles),
                      id_column=literal(inputs.id_column), role_column=literal(inputs.role_column))

    def script(self, inputs: AdminLookupInputs) -> list[str]:
        writers = sql.SQL(self._writers_query(inputs).strip().rstrip(";"))
        return [render(sql_text("admin_lookup/refuse_writable.sql"), writers=writers, table=literal(inputs.table))]

    def writers(self, cur: psycopg.Cursor, inputs: AdminLookupInputs) -> list[dict[str, Any]]:
        cur.execute(self._writers_query(inputs))
        names = [c.name for c in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        result = super().check(olds, news)
        if result.failures or self._connection is None:
            return result
        inputs = self.to_inputs(news)
        try:
            with connections.transaction(self.connection) as cur:
                writers = self.writers(cur, inputs)
        except ConnectionError as exc:  # one line, at preview, instead of a traceback at up
            return CheckResult(news, [CheckFailure("table", str(exc))])
        if writers:
            return CheckResult(news, [CheckFailure("table", describe_writers(inputs, writers))])
        return result

    def inspect(self, cur: psycopg.Cursor, inputs: AdminLookupInputs) -> Optional[dict[str, Any]]:
        return {"writable_by": [f"{w['role']}:{w['command']}" for w in self.writers(cur, inputs)]}

    def apply(self, cur: psycopg.Cursor, inputs: AdminLookupInputs) -> None:
        writers = self.writers(cur, inputs)
        if writers:
            raise AdminLookupWritable(describe_writers(inputs, writers))

    def drop(self, cur: psycopg.Cursor, inputs: AdminLookupInputs) -> None:
        """Nothing was created."""


class AdminLookup(SqlObject, **sql_resource_type("AdminLookup")):
    provider_type = AdminLookupProvider
