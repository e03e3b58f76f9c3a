"""Privileges of one grantee on one object, exactly: applying revokes everything (columns included) and grants the
listed set, so a privilege granted by hand, or by a platform's default privileges (Supabase grants ALL on new tables
to anon and authenticated), is removed. A grant with no privileges is a deliberate revoke (PUBLIC on functions)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

import psycopg
from psycopg import sql

from ..db import fetch_one_dict, render, sql_text
from .base import SqlObject, SqlObjectProvider, sql_resource_type

PRIVILEGES = {
    "table": ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"),
    "function": ("EXECUTE",),
    "schema": ("USAGE", "CREATE"),
}
_SIGNATURE = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*\([a-z0-9_ ,]*\)$")


@dataclass
class GrantInputs:
    grantee: str  # a role name, or PUBLIC
    object_type: str  # table | function | schema
    object: str  # schema.table, schema.name(argtypes) or schema
    privileges: list[str] = field(default_factory=list)
    # Column privileges on a table: {"UPDATE": ["enabled", "cron_expression"]}.
    column_privileges: dict[str, list[str]] = field(default_factory=dict)


class GrantProvider(SqlObjectProvider[GrantInputs]):
    inputs_type = GrantInputs
    replace_on = ("grantee", "object_type", "object")

    def validate(self, inputs: GrantInputs) -> list[str]:
        allowed = PRIVILEGES.get(inputs.object_type)
        if allowed is None:
            return [f"object_type: {inputs.object_type!r} is not one of {', '.join(PRIVILEGES)}"]
        problems = [f"privileges: {p!r} does not apply to a {inputs.object_type}" for p in inputs.privileges if p not in allowed]
        if inputs.column_privileges and inputs.object_type != "table":
            problems.append("column_privileges: only a table has columns")
        if inputs.object_type == "function" and not _SIGNATURE.match(inputs.object):
            problems.append("object: a function is named schema.name(argtypes) in lower case")
        return problems

    def object_id(self, inputs: GrantInputs) -> str:
        return f"{inputs.object_type}:{inputs.object}:{inputs.grantee}"

    def _object_sql(self, inputs: GrantInputs) -> sql.Composable:
        if inputs.object_type == "function":
            return sql.SQL(inputs.object)  # validated signature text
        return sql.Identifier(*inputs.object.split("."))

    def _grantee_sql(self, inputs: GrantInputs) -> sql.Composable:
        return sql.SQL("PUBLIC") if inputs.grantee == "PUBLIC" else sql.Identifier(inputs.grantee)

    def inspect(self, cur: psycopg.Cursor, inputs: GrantInputs) -> Optional[dict[str, Any]]:
        grantee = fetch_one_dict(cur, sql_text("grant/grantee_oid.sql"), {"grantee": inputs.grantee})
        if grantee is None or grantee["oid"] is None:
            return None
        return fetch_one_dict(
            cur,
            sql_text(f"grant/inspect_{inputs.object_type}.sql"),
            {"grantee_oid": grantee["oid"], "object": inputs.object},
        )

    def _revoke_all(self, cur: psycopg.Cursor, inputs: GrantInputs) -> None:
        names = dict(object=self._object_sql(inputs), grantee=self._grantee_sql(inputs))
        cur.execute(render(sql_text("grant/revoke.sql"), object_type=sql.SQL(inputs.object_type.upper()), **names))
        # Column privileges survive REVOKE ALL ON TABLE: revoke them column by column.
        if inputs.object_type == "table":
            columns = fetch_one_dict(cur, sql_text("grant/columns.sql"), {"object": inputs.object})["columns"]
            if columns:
                cur.execute(
                    render(
                        sql_text("grant/revoke_columns.sql"),
                        columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
                        **names,
                    )
                )

    def script(self, inputs: GrantInputs) -> list[str]:
        """Revoke then grant. (Applying also revokes column privileges, which need the live column list.)"""
        names = dict(object=self._object_sql(inputs), grantee=self._grantee_sql(inputs))
        statements = [render(sql_text("grant/revoke.sql"), object_type=sql.SQL(inputs.object_type.upper()), **names)]
        if inputs.privileges:
            statements.append(
                render(
                    sql_text("grant/grant.sql"),
                    privileges=sql.SQL(", ").join(map(sql.SQL, inputs.privileges)),
                    object_type=sql.SQL(inputs.object_type.upper()),
                    **names,
                )
            )
        for privilege, columns in sorted(inputs.column_privileges.items()):
            statements.append(
                render(
                    sql_text("grant/grant_columns.sql"),
                    privilege=sql.SQL(privilege),
                    columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
                    **names,
                )
            )
        return statements

    def apply(self, cur: psycopg.Cursor, inputs: GrantInputs) -> None:
        self._revoke_all(cur, inputs)
        for statement in self.script(inputs)[1:]:
            cur.execute(statement)

    def drop(self, cur: psycopg.Cursor, inputs: GrantInputs) -> None:
        if self.inspect(cur, inputs) is not None:
            self._revoke_all(cur, inputs)


class Grant(SqlObject, **sql_resource_type("Grant")):
    provider_type = GrantProvider
