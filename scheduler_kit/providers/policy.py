"""RLS policies, one resource each, so `pulumi preview` names the policy that changes.

Applying drops and re-creates the policy in one transaction (PostgreSQL cannot alter a policy's command). A policy
dropped or rewritten by hand is drift: the live pg_policies row differs from the one recorded at apply time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import psycopg
from psycopg import sql

from ..db import fetch_one_dict, literal, render, sql_text
from .base import SqlObject, SqlObjectProvider, sql_resource_type, table_exists

COMMANDS = ("ALL", "SELECT", "INSERT", "UPDATE", "DELETE")


@dataclass
class PolicyInputs:
    name: str
    table: str  # schema.table
    command: str
    roles: list[str] = field(default_factory=list)
    using: Optional[str] = None
    with_check: Optional[str] = None
    permissive: bool = True
    comment: Optional[str] = None


class PolicyProvider(SqlObjectProvider[PolicyInputs]):
    inputs_type = PolicyInputs
    replace_on = ("name", "table")

    def validate(self, inputs: PolicyInputs) -> list[str]:
        problems = []
        if len(inputs.name.encode("utf-8")) > 63:
            problems.append(f"name: {inputs.name!r} is longer than 63 bytes, which PostgreSQL would cut; shorten it")
        if inputs.command not in COMMANDS:
            problems.append(f"command: {inputs.command!r} is not one of {', '.join(COMMANDS)}")
        if not inputs.roles:
            problems.append("roles: name at least one role (PUBLIC is not allowed here)")
        if any(role.lower() == "public" for role in inputs.roles):
            problems.append("roles: a policy for PUBLIC also applies to anon; name the roles")
        if inputs.command == "INSERT" and inputs.using:
            problems.append("using: an INSERT policy takes only with_check")
        if inputs.command in ("SELECT", "DELETE") and inputs.with_check:
            problems.append(f"with_check: a {inputs.command} policy takes only using")
        if not inputs.using and not inputs.with_check:
            problems.append("using: give using, with_check or both")
        return problems

    def object_id(self, inputs: PolicyInputs) -> str:
        return f"{inputs.table}:{inputs.name}"

    def inspect(self, cur: psycopg.Cursor, inputs: PolicyInputs) -> Optional[dict[str, Any]]:
        return fetch_one_dict(cur, sql_text("policy/inspect.sql"), {"table": inputs.table, "name": inputs.name})

    def script(self, inputs: PolicyInputs) -> list[str]:
        names = dict(name=sql.Identifier(inputs.name), table=inputs.table)
        statements = [render(sql_text("policy/drop.sql"), **names)]
        # Expressions are SQL by design (they come from policies/, reviewed like code); names are quoted.
        statement = render(
            sql_text("policy/create.sql"),
            **names,
            permissive=sql.SQL("PERMISSIVE" if inputs.permissive else "RESTRICTIVE"),
            command=sql.SQL(inputs.command),
            roles=sql.SQL(", ").join(sql.Identifier(role) for role in inputs.roles),
            using=sql.SQL(f" USING ({inputs.using})" if inputs.using else ""),
            with_check=sql.SQL(f" WITH CHECK ({inputs.with_check})" if inputs.with_check else ""),
        )
        statements.append(statement)
        if inputs.comment:
            statements.append(render(sql_text("policy/comment.sql"), **names, comment=literal(inputs.comment)))
        return statements

    def drop(self, cur: psycopg.Cursor, inputs: PolicyInputs) -> None:
        if table_exists(cur, inputs.table):
            cur.execute(render(sql_text("policy/drop.sql"), name=sql.Identifier(inputs.name), table=inputs.table))


class Policy(SqlObject, **sql_resource_type("Policy")):
    provider_type = PolicyProvider
