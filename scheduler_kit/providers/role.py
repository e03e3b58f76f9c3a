"""Cluster roles (anon, authenticated, service_role on plain PostgreSQL).

A role that already exists is adopted: its attributes are set, and a destroy leaves it in place. A role the kit
created is dropped on destroy unless objects in another database still depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import psycopg
import pulumi
from psycopg import errors, sql

from ..db import fetch_one_dict, render, sql_text
from .base import SqlObject, SqlObjectProvider, sql_resource_type


@dataclass
class RoleInputs:
    name: str
    bypass_rls: bool = False
    inherit: bool = False
    # Set by the provider: True when this stack created the role (so destroy may drop it).
    created: Optional[bool] = None


class RoleProvider(SqlObjectProvider[RoleInputs]):
    inputs_type = RoleInputs
    replace_on = ("name",)
    provider_owned = ("created",)
    keep_when_depended_on = True

    def validate(self, inputs: RoleInputs) -> list[str]:
        return [] if inputs.name and len(inputs.name) <= 63 else ["name: a role name of 1 to 63 characters"]

    def object_id(self, inputs: RoleInputs) -> str:
        return inputs.name

    def inspect(self, cur: psycopg.Cursor, inputs: RoleInputs) -> Optional[dict[str, Any]]:
        return fetch_one_dict(cur, sql_text("role/inspect.sql"), {"name": inputs.name})

    def apply(self, cur: psycopg.Cursor, inputs: RoleInputs) -> None:
        if self.inspect(cur, inputs) is None:
            try:
                with cur.connection.transaction():
                    cur.execute(render(sql_text("role/create.sql"), name=inputs.name))
                if inputs.created is None:
                    inputs.created = True
            except errors.DuplicateObject:
                pass  # created concurrently by another deploy on the same cluster: adopt it
        if inputs.created is None:
            inputs.created = False
        attributes = sql.SQL(" ").join(
            [
                sql.SQL("NOLOGIN"),
                sql.SQL("BYPASSRLS" if inputs.bypass_rls else "NOBYPASSRLS"),
                sql.SQL("INHERIT" if inputs.inherit else "NOINHERIT"),
            ]
        )
        cur.execute(render(sql_text("role/alter.sql"), name=inputs.name, attributes=attributes))

    def drop(self, cur: psycopg.Cursor, inputs: RoleInputs) -> None:
        if not inputs.created:
            return
        # Roles are cluster-wide: when objects in another database still use it, it stays (keep_when_depended_on).
        cur.execute(render(sql_text("role/drop.sql"), name=inputs.name))


class Role(SqlObject, **sql_resource_type("Role")):
    def __init__(self, name: str, inputs: RoleInputs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(RoleProvider(), name, inputs, opts)
