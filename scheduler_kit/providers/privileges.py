"""Exact privileges for every role: one resource per object the kit creates, revoking whatever a role the model
does not list holds on it (the Grant resources own the listed roles, each exactly).

Supabase's default privileges grant ALL on every new table, sequence and function in `public` to anon,
authenticated, service_role and postgres; a hand GRANT can reach any role of the cluster (authenticator,
dashboard_user, ...). A Grant resource only ever looks at the role it names, so without this sweep neither would be
seen. `read` reports any such privilege as drift (`pulumi preview --refresh`), and an update revokes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import psycopg
from ..db import fetch_one_dict, literal, render, sql_text
from .base import SqlObject, SqlObjectProvider, sql_resource_type

OBJECT_TYPES = ("table", "function", "schema")


@dataclass
class UnlistedPrivilegesInputs:
    object_type: str  # table | function | schema
    object: str  # schema.table, schema.name(argtypes) or schema
    # Grantees the model lists for this object (their Grant resources make them exact); PUBLIC included.
    listed: list[str] = field(default_factory=list)


class UnlistedPrivilegesError(RuntimeError):
    """A privilege could not be revoked by the deploying role (granted by another role with GRANT OPTION)."""


class UnlistedPrivilegesProvider(SqlObjectProvider[UnlistedPrivilegesInputs]):
    inputs_type = UnlistedPrivilegesInputs
    replace_on = ("object_type", "object")

    def validate(self, inputs: UnlistedPrivilegesInputs) -> list[str]:
        if inputs.object_type not in OBJECT_TYPES:
            return [f"object_type: {inputs.object_type!r} is not one of {', '.join(OBJECT_TYPES)}"]
        return []

    def object_id(self, inputs: UnlistedPrivilegesInputs) -> str:
        return f"{inputs.object_type}:{inputs.object}:unlisted"

    def inspect(self, cur: psycopg.Cursor, inputs: UnlistedPrivilegesInputs) -> Optional[dict[str, Any]]:
        return fetch_one_dict(cur, sql_text("privileges/inspect_unlisted.sql"),
                              {"object_type": inputs.object_type, "object": inputs.object, "listed": inputs.listed})

    def script(self, inputs: UnlistedPrivilegesInputs) -> list[str]:
        return [render(sql_text("privileges/revoke_unlisted.sql"), object_type=literal(inputs.object_type),
                       object_name=literal(inputs.object), listed=literal(sorted(inputs.listed)))]

    def apply(self, cur: psycopg.Cursor, inputs: UnlistedPrivilegesInputs) -> None:
        super().apply(cur, inputs)
        left = self.inspect(cur, inputs)
        if left and (left["unlisted"] or left["unlisted_columns"] or left["sequence_grants"]):
            raise UnlistedPrivilegesError(
                f"{inputs.object_type} {inputs.object}: privileges the model does not list are still held after "
                f"REVOKE: {left}. They were granted by a role other than the owner (WITH GRANT OPTION); revoke them "
                "as that role, then run `pulumi up` again."
            )

    def drop(self, cur: psycopg.Cursor, inputs: UnlistedPrivilegesInputs) -> None:
        """Nothing to undo: the sweep only ever removed privileges."""


class UnlistedPrivileges(SqlObject, **sql_resource_type("UnlistedPrivileges")):
    provider_type = UnlistedPrivilegesProvider
