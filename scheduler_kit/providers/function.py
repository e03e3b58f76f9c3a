"""SQL and PL/pgSQL functions, each from a .sql file holding one CREATE OR REPLACE FUNCTION.

The live state is a digest of pg_get_functiondef, so a function replaced by hand shows up as drift.

Applying drops the other functions of the same name (another signature beside the kit's makes callers fail with
"function ... is not unique") and, when PostgreSQL cannot replace a function in place (another return type or
argument names, as the seed's helpers may have), drops and re-creates it: see sql/function/replace.sql.

A trigger function may name the triggers that call it (`triggers`): applying the function re-creates them in the
same transaction. The engine applies each resource in its own transaction, function before triggers, so without this
a write in between would meet the new body through an old trigger: when the body needs something of its triggers
(the statistics function reads transition tables the earlier, per-row trigger did not declare), every history write
failed for the seconds between the two. The Trigger resources still own the triggers (drift, delete); re-applying
them afterwards changes nothing.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, Optional

import psycopg
from psycopg import sql

from ..db import dollar_quoted, fetch_one_dict, literal, render, sql_text
from . import privacy
from .base import SqlObject, SqlObjectProvider, sql_resource_type
from .trigger import TriggerInputs, TriggerProvider

_SIGNATURE = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*\([a-z0-9_ ,]*\)$")


@dataclass
class FunctionInputs:
    # schema.name(argtypes), as to_regprocedure reads it: identifies the function.
    signature: str
    definition: str
    # {name, table, definition} of each trigger that calls the function (see above); None for most functions, so
    # that states written before this field existed show no change.
    triggers: Optional[list[dict[str, str]]] = None
    # Who may EXECUTE it in the end (see providers/privacy.py): created or re-created with no one else able to.
    final_acl: privacy.FinalAcl = None


class FunctionProvider(SqlObjectProvider[FunctionInputs]):
    inputs_type = FunctionInputs
    replace_on = ("signature",)
    keep_when_depended_on = True

    def validate(self, inputs: FunctionInputs) -> list[str]:
        problems = []
        if not _SIGNATURE.match(inputs.signature):
            problems.append("signature: expected schema.name(argtype, ...) in lower case")
        if "search_path" not in inputs.definition.lower():
            problems.append("definition: every function pins search_path (SET search_path = ...)")
        fields = {f.name for f in dataclasses.fields(TriggerInputs)}
        for index, trigger in enumerate(inputs.triggers or []):
            if set(trigger) != fields:
                problems.append(f"triggers: item {index} needs exactly {', '.join(sorted(fields))}, got {sorted(trigger)}")
        return problems

    def object_id(self, inputs: FunctionInputs) -> str:
        return inputs.signature

    def inspect(self, cur: psycopg.Cursor, inputs: FunctionInputs) -> Optional[dict[str, Any]]:
        live = fetch_one_dict(cur, sql_text("function/inspect.sql"), {"signature": inputs.signature})
        if live is not None and not live["overloads"]:
            del live["overloads"]  # recorded only when there are some: states written before it stay equal
        return live

    def script(self, inputs: FunctionInputs) -> list[str]:
        schema, _, name = inputs.signature.split("(")[0].partition(".")
        statements = [render(sql_text("function/replace.sql"), schema=literal(schema), name=literal(name),
                             signature=literal(inputs.signature),
                             definition=dollar_quoted(inputs.definition, "kit_function"))]
        for trigger in inputs.triggers or []:
            statements += TriggerProvider().script(TriggerInputs(**trigger))
        return [*statements, *privacy.function_statements(inputs.signature, inputs.final_acl)]

    def drop(self, cur: psycopg.Cursor, inputs: FunctionInputs) -> None:
        # The signature was validated against a strict pattern; it is SQL text, not a value.
        cur.execute(render(sql_text("function/drop.sql"), signature=sql.SQL(inputs.signature)))


class Function(SqlObject, **sql_resource_type("Function")):
    provider_type = FunctionProvider
