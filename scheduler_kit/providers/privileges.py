"""Exact privileges on one object: the whole ACL of a table, function or schema, every role at once (the owner aside).

`grants` lists the roles the model names for the object, each with its privileges ({"privileges": [...], "columns":
{"UPDATE": [...]}}; empty lists for a deliberate "nothing", such as PUBLIC on a function). Applying, in one
transaction: every privilege the model does not list is revoked, from any role of the cluster (Supabase's default
privileges grant ALL on every new table and function in `public` to anon, authenticated and service_role; a hand
GRANT can reach authenticator or dashboard_user), with column privileges, grant options and the privileges on the
sequences a table owns; then what the model lists is granted. The object's ACL is then read back in the same
transaction, and anything still held beyond the model (granted by another role WITH GRANT OPTION, which the owner's
REVOKE does not reach) fails the step, so nothing commits half-exact.

`live` is the whole ACL by grantee, so a refresh shows drift role by role: a privilege granted by hand to any role,
or one revoked from a role the model lists.

One resource per object, not one per role: a stack deployed before this kind existed holds Grant and
UnlistedPrivileges resources instead, which the first up replaces (providers/retired.py says why their deletes
revoke nothing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

import psycopg
from psycopg import errors, sql

from ..db import fetch_one_dict, render, sql_text
from .base import SqlObject, SqlObjectProvider, sql_resource_type
from .privacy import narrow
from .retired import RetiredProvider

PRIVILEGES = {
    "table": ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"),
    "function": ("EXECUTE",),
    "schema": ("USAGE", "CREATE"),
}
# Privileges a column can carry.
COLUMN_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "REFERENCES")
_SIGNATURE = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*\([a-z0-9_ ,]*\)$")
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass
class PrivilegesInputs:
    object_type: str  # table | function | schema
    object: str  # schema.table, schema.name(argtypes) or schema
    # {grantee: {"privileges": [...], "columns": {privilege: [column, ...]}}}; a grantee is a role name or PUBLIC.
    grants: dict[str, dict[str, Any]] = field(default_factory=dict)


class PrivilegesError(RuntimeError):
    """Privileges beyond the model are still held after the revokes (granted by another role WITH GRANT OPTION)."""


def expected_acl(grants: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The ACL the grants make, as `inspect` reads it: only the grantees holding something, lists sorted."""
    acl = {}
    for grantee, entry in grants.items():
        privileges = sorted(entry.get("privileges") or [])
        columns = {p: sorted(c) for p, c in (entry.get("columns") or {}).items() if c}
        if privileges or columns:
            acl[grantee] = {"privileges": privileges, "columns": columns}
    return acl


def left_beyond_the_model(live: dict[str, Any], grants: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """What the ACL read back after an apply (sql/privileges/inspect.sql) holds that the model does not: any grant
    option, any privilege on the object's sequences, and the grants when they are not exactly the model's. Empty
    when the apply did all it should; anything else fails the step and nothing commits."""
    beyond = {key: live[key] for key in ("grant_options", "sequence_grants") if live[key]}
    if live["grants"] != expected_acl(grants):
        beyond["grants"] = live["grants"]
    return beyond


class PrivilegesProvider(SqlObjectProvider[PrivilegesInputs]):
    inputs_type = PrivilegesInputs
    replace_on = ("object_type", "object")

    def validate(self, inputs: PrivilegesInputs) -> list[str]:
        allowed = PRIVILEGES.get(inputs.object_type)
        if allowed is None:
            return [f"object_type: {inputs.object_type!r} is not one of {', '.join(PRIVILEGES)}"]
        problems = []
        if inputs.object_type == "function" and not _SIGNATURE.match(inputs.object):
            problems.append("object: a function is named schema.name(argtypes) in lower case")
        if not isinstance(inputs.grants, dict):
            return [*problems, "grants: a mapping of grantee to {privileges, columns}"]
        for grantee, entry in sorted(inputs.grants.items()):
            if grantee != "PUBLIC" and not _NAME.match(grantee):
                problems.append(f"grants: {grantee!r} is not a role name (lower case) or PUBLIC")
            if not isinstance(entry, dict) or set(entry) - {"privileges", "columns"}:
                problems.append(f"grants: {grantee}: a mapping with `privileges` and `columns` only")
                continue
            problems += [f"grants: {grantee}: {p!r} does not apply to a {inputs.object_type}"
                         for p in entry.get("privileges") or [] if p not in allowed]
            columns = entry.get("columns") or {}
            if columns and inputs.object_type != "table":
                problems.append(f"grants: {grantee}: columns: only a table has columns")
            problems += [f"grants: {grantee}: columns: {p!r} is not a column privilege"
                         for p in columns if p not in COLUMN_PRIVILEGES]
        return problems

    def object_id(self, inputs: PrivilegesInputs) -> str:
        return f"{inputs.object_type}:{inputs.object}:privileges"

    def _names(self, inputs: PrivilegesInputs, grantee: str) -> dict[str, sql.Composable]:
        target = sql.SQL(inputs.object) if inputs.object_type == "function" else sql.Identifier(*inputs.object.split("."))
        return dict(object=target, object_type=sql.SQL(inputs.object_type.upper()),
                    grantee=sql.SQL("PUBLIC") if grantee == "PUBLIC" else sql.Identifier(grantee))

    def script(self, inputs: PrivilegesInputs) -> list[str]:
        """Everything beyond the model revoked (from any role), then the model's privileges granted, without grant
        options. Idempotent, so `make sql` writes it too."""
        acl = expected_acl(inputs.grants)
        statements = [narrow(inputs.object_type, inputs.object, acl)]
        for grantee, entry in sorted(acl.items()):
            names = self._names(inputs, grantee)
            if entry["privileges"]:
                statements.append(render(sql_text("privileges/grant.sql"),
                                         privileges=sql.SQL(", ").join(map(sql.SQL, entry["privileges"])), **names))
            for privilege, columns in sorted(entry["columns"].items()):
                statements.append(render(sql_text("privileges/grant_columns.sql"), privilege=sql.SQL(privilege),
                                         columns=sql.SQL(", ").join(map(sql.Identifier, columns)), **names))
            # A listed role keeps what it is granted, never the right to pass it on.
            statements.append(render(sql_text("privileges/revoke_grant_option.sql"), **names))
            for columns in sorted({tuple(c) for c in entry["columns"].values()}):
                statements.append(render(sql_text("privileges/revoke_column_grant_option.sql"),
                                         columns=sql.SQL(", ").join(map(sql.Identifier, columns)), **names))
        return statements

    def inspect(self, cur: psycopg.Cursor, inputs: PrivilegesInputs) -> Optional[dict[str, Any]]:
        return fetch_one_dict(cur, sql_text("privileges/inspect.sql"),
                              {"object_type": inputs.object_type, "object": inputs.object})

    def apply(self, cur: psycopg.Cursor, inputs: PrivilegesInputs) -> None:
        try:
            super().apply(cur, inputs)
        except errors.DependentObjectsStillExist as error:
            raise PrivilegesError(
                f"{inputs.object_type} {inputs.object}: a role holds a privilege on it WITH GRANT OPTION and has "
                f"passed it on ({error.diag.message_primary}), and the model grants no grant options. Revoke what "
                "that role granted (as that role), or as the owner `REVOKE GRANT OPTION FOR ... CASCADE` from it, "
                "then run `pulumi up` again. Nothing was changed."
            ) from None
        live = self.inspect(cur, inputs)
        if live is None:
            raise PrivilegesError(f"{inputs.object_type} {inputs.object} does not exist: its privileges cannot be set")
        beyond = left_beyond_the_model(live, inputs.grants)
        if beyond:
            raise PrivilegesError(
                f"{inputs.object_type} {inputs.object}: after the revokes and grants the ACL is not the model's "
                f"{expected_acl(inputs.grants)}: {beyond}. What is left was granted by a role other than the owner "
                "(WITH GRANT OPTION); revoke it as that role (or revoke that role's grant option), then run "
                "`pulumi up` again."
            )

    def drop(self, cur: psycopg.Cursor, inputs: PrivilegesInputs) -> None:
        """The object leaves the model (or the stack is destroyed): every role's privileges on it are revoked, so a
        table retained on delete is left to its owner alone."""
        cur.execute(narrow(inputs.object_type, inputs.object, {}))


class Privileges(SqlObject, **sql_resource_type("Privileges")):
    provider_type = PrivilegesProvider


class UnlistedPrivilegesProvider(RetiredProvider):
    """The kind that revoked the privileges of roles the model did not list, one per object, before Privileges
    took its place (the state of a stack deployed before holds it)."""
