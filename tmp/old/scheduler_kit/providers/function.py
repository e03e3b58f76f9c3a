"""SQL and PL/pgSQL functions, each from a .sql file holding one CREATE OR REPLACE FUNCTION.

The live state is a digest of pg_get_functiondef, so a function replaced by hand shows up as drift.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

import psycopg
from psycopg import sql

from ..db import fetch_one_dict, render, sql_text
from .base import SqlObject, SqlObjectProvider, sql_resource_type

_SIGNATURE = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*\([a-z0-9_ ,]*\)$")


@dataclass
class FunctionInputs:
    # schema.name(argtypes), as to_regprocedure reads it: identifies the function.
    signature: str
    definition: str


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
        return problems

    def object_id(self, inputs: FunctionInputs) -> str:
        return inputs.signature

    def inspect(self, cur: psycopg.Cursor, inputs: FunctionInputs) -> Optional[dict[str, Any]]:
        return fetch_one_dict(cur, sql_text("function/inspect.sql"), {"signature": inputs.signature})

    def script(self, inputs: FunctionInputs) -> list[str]:
        return [inputs.definition]

    def drop(self, cur: psycopg.Cursor, inputs: FunctionInputs) -> None:
        # The signature was validated against a strict pattern; it is SQL text, not a value.
        cur.execute(render(sql_text("function/drop.sql"), signature=sql.SQL(inputs.signature)))


class Function(SqlObject, **sql_resource_type("Function")):
    provider_type = FunctionProvider
