"""Triggers. Applying drops and re-creates the trigger in one transaction; a trigger disabled or dropped by hand
shows up as drift (its `enabled` flag or its definition)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import psycopg

from ..db import fetch_one_dict, render, sql_text
from .base import SqlObject, SqlObjectProvider, sql_resource_type, table_exists


@dataclass
class TriggerInputs:
    name: str
    table: str
    definition: str


class TriggerProvider(SqlObjectProvider[TriggerInputs]):
    inputs_type = TriggerInputs
    replace_on = ("name", "table")

    def object_id(self, inputs: TriggerInputs) -> str:
        return f"{inputs.table}:{inputs.name}"

    def inspect(self, cur: psycopg.Cursor, inputs: TriggerInputs) -> Optional[dict[str, Any]]:
        return fetch_one_dict(cur, sql_text("trigger/inspect.sql"), {"table": inputs.table, "name": inputs.name})

    def script(self, inputs: TriggerInputs) -> list[str]:
        return [render(sql_text("trigger/drop.sql"), name=inputs.name, table=inputs.table), inputs.definition]

    def drop(self, cur: psycopg.Cursor, inputs: TriggerInputs) -> None:
        if table_exists(cur, inputs.table):
            cur.execute(render(sql_text("trigger/drop.sql"), name=inputs.name, table=inputs.table))


class Trigger(SqlObject, **sql_resource_type("Trigger")):
    provider_type = TriggerProvider
