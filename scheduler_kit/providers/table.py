"""Tables, from declarative .sql files: each file is the table's shape, and applying brings the live table to it.

A missing table is created by running its file. An existing one (the kit's own from an earlier release, or the
seed's, created by the users' migration 035 with months of history) is conformed by `sql/adopt/conform_table`:
the file is applied to a temporary table of the same name, and the real table gets what that reference has and it
lacks (columns, types it can convert without loss, defaults, NOT NULL, constraints, indexes), loses the triggers,
policies and constraints the kit does not declare on it, and keeps its rows untouched. Every rule is counted over the
existing rows first: rows that break one are refused with the whole report (nothing changes), unless the rule is in
`not_valid` (the stack keeps invalid rows; the constraint is added NOT VALID and validated once the rows pass).

History lives in these tables, so a delete drops the table only when `drop_on_delete` is set (the local stack and the
tests). Elsewhere the table is also protected at the Pulumi level (see components/scheduler.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Optional

import psycopg
from psycopg import errors, sql

from ..db import dollar_quoted, fetch_one_dict, literal, render, sql_text
from . import privacy
from .base import SqlObject, SqlObjectProvider, sql_resource_type


class RowsBreakRules(ValueError):
    """Existing rows break rules of the kit's tables; the message lists every rule with its count, rows and fix."""


@dataclass
class TableInputs:
    name: str
    definition: str
    drop_on_delete: bool = False
    # SQL naming a row in reports (the id, or the job name): what a user looks the row up by.
    label: str = "id"
    # The triggers and policies the kit declares on this table: any other is dropped when the table is applied.
    # None leaves others alone (the users table stands in for the application's own).
    kit_triggers: Optional[list[str]] = None
    kit_policies: Optional[list[str]] = None
    # Rules the existing rows break that the stack keeps as NOT VALID (scheduler-kit:keepInvalidRows); when the rows
    # are fixed this list empties, and the update validates them.
    not_valid: list[str] = field(default_factory=list)
    # Rules of columns the statistics take-over recounts from the history: NOT VALID until it has (see
    # sql/adopt/conform_table.function.sql), whatever the stack keeps.
    recounted: list[str] = field(default_factory=list)
    # The table's final privileges (see providers/privacy.py): its own transaction narrows to them and forces RLS.
    final_acl: privacy.FinalAcl = None


def _text_array(values: Optional[list[str]]) -> sql.Composable:
    return sql.SQL("NULL") if values is None else literal(list(values))


def reference_name(table: str) -> str:
    return "pg_temp." + table.split(".", 1)[1]


def reference_definition(inputs: TableInputs) -> str:
    """The table's file applied to a temporary table of the same name: the declared shape, for comparison."""
    return re.sub(rf"\b{re.escape(inputs.name)}\b", reference_name(inputs.name), inputs.definition)


# The session-local function that compares a live table with the kit's shape (the first of conform_statements).
CONFORM_FUNCTION = "adopt/conform_table.function.sql"


def conform_statements(inputs: TableInputs, apply: bool) -> list[str]:
    """The statements that make (apply=True) or report (apply=False) the table's conformance; the report is the
    result of the last but one statement."""
    reference = reference_name(inputs.name)
    call = render(
        sql_text("adopt/conform_call.sql"),
        table=literal(inputs.name), definition=dollar_quoted(inputs.definition, "kit_table"),
        reference=literal(reference),
        label=literal(inputs.label), not_valid=literal(list(inputs.not_valid)), recounted=literal(list(inputs.recounted)),
        kit_triggers=_text_array(inputs.kit_triggers), kit_policies=_text_array(inputs.kit_policies),
        apply=literal(apply),
    )
    drop_reference = render(sql_text("adopt/reference_drop.sql"), reference=sql.SQL(reference))
    return [sql_text(CONFORM_FUNCTION), drop_reference, reference_definition(inputs), call,
            drop_reference]


def check_statements(inputs: TableInputs) -> list[str]:
    """The statements that add the table's report to pg_temp.schedkit_adoption_reports (sql/adopt/collect_*.sql)."""
    statements = conform_statements(inputs, apply=False)
    return [statements[1], statements[2], "INSERT INTO pg_temp.schedkit_adoption_reports " + statements[3],
            statements[4]]


def conformance_report(cur: psycopg.Cursor, inputs: TableInputs) -> dict[str, Any]:
    """What applying would do to the live table, and which rules its rows break; changes nothing lasting (temporary
    objects only: call it in a transaction that is rolled back, after CONFORM_FUNCTION, run once for every table)."""
    statements = conform_statements(inputs, apply=False)
    for statement in statements[1:-2]:
        cur.execute(statement)
    cur.execute(statements[-2])
    (report,) = cur.fetchone()
    cur.execute(statements[-1])
    return report


def refusal_text(refusals: list[dict[str, Any]], table: str) -> str:
    """One paragraph per broken rule: the rule, how many rows, the first of them, and the fix."""
    from ..adoption import describe_refusal  # the fixes live with the adoption report

    return "\n".join(describe_refusal(table, refusal) for refusal in refusals)


class TableProvider(SqlObjectProvider[TableInputs]):
    inputs_type = TableInputs
    # No replace_on: renaming a table resource must never drop and re-create the data.

    def object_id(self, inputs: TableInputs) -> str:
        return inputs.name

    def inspect(self, cur: psycopg.Cursor, inputs: TableInputs) -> Optional[dict[str, Any]]:
        return fetch_one_dict(cur, sql_text("table/inspect.sql"), {"name": inputs.name})

    def script(self, inputs: TableInputs) -> list[str]:
        return [*conform_statements(inputs, apply=True), *privacy.table_statements(inputs.name, inputs.final_acl)]

    def apply(self, cur: psycopg.Cursor, inputs: TableInputs) -> None:
        try:
            super().apply(cur, inputs)
        except errors.CheckViolation as error:
            diag = error.diag
            if not (diag.message_primary or "").startswith(inputs.name + ": existing rows break"):
                raise
            raise RowsBreakRules(f"{diag.message_primary}:\n"
                                 f"{refusal_text(json.loads(diag.message_detail or '[]'), inputs.name)}") from None

    def drop(self, cur: psycopg.Cursor, inputs: TableInputs) -> None:
        if inputs.drop_on_delete:
            cur.execute(render(sql_text("table/drop.sql"), name=inputs.name))


class Table(SqlObject, **sql_resource_type("Table")):
    provider_type = TableProvider
