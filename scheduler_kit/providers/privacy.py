"""Private from the first statement (issue 17): the statements that make a table, function or schema private, run
by its own provider in the transaction that creates or re-creates it.

On Supabase every table and function `postgres` creates in `public` is born with ALL for anon, authenticated and
service_role (the project's default privileges), and every function with EXECUTE for PUBLIC. The Privileges and
RowSecurity resources make an object exact, but each in a later transaction: a deploy that
stopped before them left the object open. So the object's own transaction narrows every role's privileges to at
most the object's final ACL (the plan's, `object_acls` in scheduler_kit/model.py) and, for a table, enables and
forces row level security, before it commits. Narrowing only: access is widened afterwards by the Privileges
resources alone. An existing object the kit adopts with wider grants is narrowed at its own step the same way.
"""

from __future__ import annotations

import json
from typing import Optional

from psycopg import sql

from ..db import literal, render, sql_text

# {grantee: {"privileges": [...], "columns": {privilege: [column, ...]}}}; None or {}: nobody but the owner.
FinalAcl = Optional[dict[str, dict]]


def narrow(object_type: str, name: str, final_acl: FinalAcl) -> str:
    return render(sql_text("privacy/narrow.sql"), object_type=literal(object_type), object_name=literal(name),
                  final_acl=sql.SQL("{}::jsonb").format(literal(json.dumps(final_acl or {}, sort_keys=True))))


def table_statements(table: str, final_acl: FinalAcl) -> list[str]:
    """Row level security on and forced, and the table's privileges narrowed to its final ACL."""
    return [render(sql_text("rls/enable.sql"), table=table, force=sql.SQL("FORCE")), narrow("table", table, final_acl)]


def function_statements(signature: str, final_acl: FinalAcl) -> list[str]:
    """EXECUTE kept only for the roles the final ACL lists (never PUBLIC unless it lists PUBLIC)."""
    return [narrow("function", signature, final_acl)]


def schema_statements(schema: str, final_acl: FinalAcl) -> list[str]:
    return [narrow("schema", schema, final_acl)]
