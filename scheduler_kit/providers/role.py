"""Cluster roles (anon, authenticated, service_role and PostgREST's login role authenticator, on plain PostgreSQL).

A role that already exists is adopted: its attributes are set, and a destroy leaves it in place. A role the kit
created is dropped on destroy unless objects in another database still depend on it. Passwords are never managed:
a login role's password is set by whoever runs the service that logs in with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import psycopg
from psycopg import sql

from ..db import fetch_one_dict, literal, render, sql_text
from .base import SqlObject, SqlObjectProvider, sql_resource_type


@dataclass
class RoleInputs:
    name: str
    bypass_rls: bool = False
    inherit: bool = False
    login: bool = False
    # Roles this role may switch to with SET ROLE (granted; other memberships are left alone).
    member_of: list[str] = field(default_factory=list)
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

    def script(self, inputs: RoleInputs) -> list[str]:
        attributes = sql.SQL(" ").join(
            [
                sql.SQL("LOGIN" if inputs.login else "NOLOGIN"),
                sql.SQL("BYPASSRLS" if inputs.bypass_rls else "NOBYPASSRLS"),
                sql.SQL("INHERIT" if inputs.inherit else "NOINHERIT"),
            ]
        )
        return [
            render(sql_text("role/create_if_missing.sql"), name=inputs.name, role_name=literal(inputs.name)),
            render(sql_text("role/alter.sql"), name=inputs.name, role_name=literal(inputs.name),
                   attributes=attributes, login=literal(inputs.login), bypass_rls=literal(inputs.bypass_rls),
                   inherit=literal(inputs.inherit)),
            *(render(sql_text("role/grant_membership.sql"), member=inputs.name, role=role,
                     member_name=literal(inputs.name), role_name=literal(role))
              for role in sorted(inputs.member_of)),
        ]

    def apply(self, cur: psycopg.Cursor, inputs: RoleInputs) -> None:
        if inputs.created is None:
            inputs.created = self.inspect(cur, inputs) is None
        super().apply(cur, inputs)

    def drop(self, cur: psycopg.Cursor, inputs: RoleInputs) -> None:
        if not inputs.created:
            return
        # Roles are cluster-wide: when objects in another database still use it, it stays (keep_when_depended_on).
        cur.execute(render(sql_text("role/drop.sql"), name=inputs.name))


class Role(SqlObject, **sql_resource_type("Role")):
    provider_type = RoleProvider
