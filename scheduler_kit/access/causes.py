"""Why a cell has its outcome, read from the catalog: the privilege the statement needs (held or not, and the grants
that give it), whether row level security applies to the role, and the policies for that table, command and role.

Everything is read as the actors' login role (authenticator): pg_policies, the ACLs and has_*_privilege are open
to every role, so an audit needs nothing more than the actors do."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import psycopg

from scheduler_kit.access.cells import Cell
from scheduler_kit.db import sql_text

SCHEMA = "public"
# The tables a function reads or writes with the caller's rights (SECURITY INVOKER), and the command it runs on them:
# row level security on those decides what the caller gets back. PL/pgSQL bodies record no dependencies, so this is
# declared here; scheduler_kit/sql/model/*.function.sql are the bodies it describes.
FUNCTION_TABLES = {
    "get_job_execution_history": (("scheduled_jobs",), "SELECT"),
    "get_job_execution_history_page": (("scheduled_jobs",), "SELECT"),
    "get_job_execution_stats": (("job_execution_rollups", "scheduled_jobs"), "SELECT"),
    "purge_job_execution_history": (("scheduled_jobs",), "DELETE"),
}
# PostgREST's role "none" is RESET ROLE: the statement runs as the login role itself.
LOGIN_ROLE_ALIAS = "none"


@dataclass(frozen=True)
class PolicyRow:
    table: str
    name: str
    command: str  # SELECT INSERT UPDATE DELETE ALL
    roles: tuple[str, ...]
    permissive: str
    using: str
    with_check: str

    def as_dict(self) -> dict:
        return {"table": self.table, "name": self.name, "command": self.command, "roles": list(self.roles),
                "permissive": self.permissive, "using": self.using, "with_check": self.with_check}


@dataclass(frozen=True)
class RoleFacts:
    exists: bool
    bypass_rls: bool
    switchable: bool  # the login role may SET ROLE to it
    holds: tuple[str, ...]  # itself and every role whose privileges it inherits


@dataclass
class Catalog:
    """What decides access, as one snapshot: policies, RLS switches, every ACL entry, and the actors' roles."""
    login_role: str
    policies: list[PolicyRow]
    row_security: dict[str, tuple[bool, bool]]  # table -> (enabled, forced)
    acl: list[tuple[str, str, Optional[str], str, str]]  # kind, object, column, grantee, privilege
    roles: dict[str, RoleFacts]
    _privileges: dict = field(default_factory=dict, repr=False)

    def grant_lines(self) -> list[str]:
        """Every grant as one line, for a text diff between two snapshots."""
        return [f"{kind} {obj}{'(' + column + ')' if column else ''}: {privilege} to {grantee}"
                for kind, obj, column, grantee, privilege in self.acl]

    def policy_lines(self) -> dict[str, str]:
        """Each policy as its definition text, by table.name."""
        out = {}
        for p in self.policies:
            text = f"POLICY {p.name} ON {p.table} AS {p.permissive} FOR {p.command} TO {', '.join(p.roles)}"
            if p.using:
                text += f"\n  USING {p.using}"
            if p.with_check:
                text += f"\n  WITH CHECK {p.with_check}"
            out[f"{p.table}.{p.name}"] = text
        return out


def read_catalog(conn: psycopg.Connection, roles: list[str]) -> Catalog:
    """`conn` is the actors' login role (its session_user decides which roles are switchable)."""
    params = {"schema": SCHEMA}
    policies = [PolicyRow(t, n, c, tuple(r), p, u, w) for t, n, c, r, p, u, w in
                conn.execute(sql_text("access/policies.sql"), params)]
    row_security = {t: (on, forced) for t, on, forced in conn.execute(sql_text("access/row_security.sql"), params)}
    acl = [tuple(row) for row in conn.execute(sql_text("access/acl.sql"), params)]
    login_role = conn.execute(sql_text("access/login_role.sql")).fetchone()[0]
    facts = {name: RoleFacts(exists, bypass, switchable, tuple(holds)) for name, exists, bypass, switchable, holds in
             conn.execute(sql_text("access/roles.sql"), {"roles": sorted(set(roles) | {login_role})})}
    return Catalog(login_role, policies, row_security, acl, facts)


def _privilege(conn: psycopg.Connection, catalog: Catalog, role: str, kind: str, obj: str, privilege: str,
               column: Optional[str]) -> tuple[bool, Optional[bool]]:
    """(held, security definer or None for tables), cached per snapshot."""
    key = (role, kind, obj, privilege, column)
    if key not in catalog._privileges:
        if kind == "function":
            row = conn.execute(sql_text("access/function_privilege.sql"), {"role": role, "schema": SCHEMA, "name": obj}).fetchone()
            catalog._privileges[key] = (bool(row and row[0]), bool(row and row[1]))
        elif column:
            row = conn.execute(sql_text("access/column_privilege.sql"),
                               {"role": role, "object": f"{SCHEMA}.{obj}", "column": column, "privilege": privilege}).fetchone()
            catalog._privileges[key] = (bool(row[0]), None)
        else:
            row = conn.execute(sql_text("access/table_privilege.sql"),
                               {"role": role, "object": f"{SCHEMA}.{obj}", "privilege": privilege}).fetchone()
            catalog._privileges[key] = (bool(row[0]), None)
    return catalog._privileges[key]


def _grants_giving(catalog: Catalog, facts: RoleFacts, kind: str, obj: str, privilege: str,
                   column: Optional[str]) -> list[str]:
    holders = set(facts.holds) | {"PUBLIC"}
    lines = []
    for entry_kind, entry_obj, entry_column, grantee, entry_privilege in catalog.acl:
        if entry_obj != obj or entry_privilege != privilege or grantee not in holders:
            continue
        if entry_kind == "function" and kind == "function":
            lines.append(f"EXECUTE on {obj}() to {grantee}")
        elif entry_kind == "table" and kind == "table":
            lines.append(f"{privilege} on {obj} to {grantee} (table grant)")
        elif entry_kind == "column" and kind == "table" and column and entry_column == column:
            lines.append(f"{privilege} on {obj}({column}) to {grantee} (column grant)")
    return lines


def _policies_for(catalog: Catalog, facts: RoleFacts, table: str, commands: tuple[str, ...]) -> list[PolicyRow]:
    holders = set(facts.holds) | {"public"}
    return [p for p in catalog.policies if p.table == table and (p.command in commands or p.command == "ALL")
            and holders & set(p.roles)]


def _row_security(catalog: Catalog, facts: RoleFacts, role: str, table: str, commands: tuple[str, ...]) -> dict:
    enabled, forced = catalog.row_security.get(table, (False, False))
    if not enabled:
        return {"table": table, "state": "off: every row the privilege allows", "policies": []}
    if facts.bypass_rls:
        return {"table": table, "state": f"bypassed: {role} has BYPASSRLS", "policies": []}
    policies = _policies_for(catalog, facts, table, commands)
    state = "on" + (", forced" if forced else "")
    if not policies:
        state += f": no policy for {role} on {'/'.join(commands)}, so no row"
    return {"table": table, "state": state, "policies": [p.as_dict() for p in policies]}


def explain(conn: psycopg.Connection, catalog: Catalog, cell: Cell, role: str) -> dict:
    """The facts that decide `cell` for a token that resolved to `role` (accepted by the gateway)."""
    if role == LOGIN_ROLE_ALIAS:
        role = catalog.login_role
    facts = catalog.roles.get(role) or RoleFacts(False, False, False, ())
    if not facts.exists:
        return {"role": role, "summary": f"role {role} does not exist: the role switch fails"}
    if not facts.switchable:
        return {"role": role, "summary": f"{catalog.login_role} is not a member of {role}: the role switch fails"}
    if cell.kind == "function":
        held, definer = _privilege(conn, catalog, role, "function", cell.object, "EXECUTE", None)
        grants = _grants_giving(catalog, facts, "function", cell.object, "EXECUTE", None)
        tables, command = FUNCTION_TABLES.get(cell.object, ((), "SELECT"))
        rls = [] if definer or not held else [_row_security(catalog, facts, role, t, (command,)) for t in tables]
        verb = f"EXECUTE {'held' if held else 'not held'}"
        summary = f"{verb} ({'; '.join(grants) or 'no grant to ' + ', '.join(facts.holds) + ' or PUBLIC'})"
        if definer:
            summary += "; SECURITY DEFINER: runs with its owner's rights"
        summary += "".join(f"; RLS on {r['table']} {command}: {_policy_words(r)}" for r in rls)
        return {"role": role, "privilege": {"privilege": "EXECUTE", "held": held, "grants": grants},
                "security_definer": definer, "row_security": rls, "summary": summary}
    held, _ = _privilege(conn, catalog, role, "table", cell.object, cell.operation, cell.column)
    grants = _grants_giving(catalog, facts, "table", cell.object, cell.operation, cell.column)
    target = f"{cell.object}({cell.column})" if cell.column else cell.object
    summary = f"{cell.operation} on {target} {'held' if held else 'not held'}"
    summary += f" ({'; '.join(grants)})" if grants else f" (no grant to {', '.join(facts.holds)} or PUBLIC)"
    rls: list[dict] = []
    if held and cell.operation != "TRUNCATE":
        # UPDATE and DELETE read the rows they change, so the SELECT policies filter them too.
        commands = (cell.operation,) if cell.operation in ("SELECT", "INSERT") else (cell.operation, "SELECT")
        rls = [_row_security(catalog, facts, role, cell.object, commands)]
        summary += f"; RLS: {_policy_words(rls[0])}"
    elif held:
        summary += "; TRUNCATE is not subject to row level security"
    return {"role": role, "privilege": {"privilege": cell.operation, "column": cell.column, "held": held,
                                        "grants": grants}, "row_security": rls, "summary": summary}


def _policy_words(rls: dict) -> str:
    if not rls["policies"]:
        return rls["state"]
    return rls["state"] + "; policies " + ", ".join(f"{p['name']} ({p['command']})" for p in rls["policies"])
