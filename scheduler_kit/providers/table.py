"""Tables, from idempotent .sql files (CREATE TABLE IF NOT EXISTS, then ADD COLUMN IF NOT EXISTS and constraints
re-declared), so an existing table is adopted and a changed file migrates it in place: a table is never replaced.

History lives in these tables, so a delete drops the table only when `drop_on_delete` is set (the local stack and the
tests). Elsewhere the table is also protected at the Pulumi level (see components/scheduler.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import psycopg

from ..db import fetch_one_dict, render, sql_text
from . import privacy
from .base import SqlObject, SqlObjectProvider, sql_resource_type


@dataclass
class TableInputs:
    name: str
    definition: str
    drop_on_delete: bool = False
    # The table's final privileges (see providers/privacy.py): its own transaction narrows to them and forces RLS.
    final_acl: privacy.FinalAcl = None


class TableProvider(SqlObjectProvider[TableInputs]):
    inputs_type = TableInputs
    # No replace_on: renaming a table resource must never drop and re-create the data.

    def object_id(self, inputs: TableInputs) -> str:
        return inputs.name

    def inspect(self, cur: psycopg.Cursor, inputs: TableInputs) -> Optional[dict[str, Any]]:
        return fetch_one_dict(cur, sql_text("table/inspect.sql"), {"name": inputs.name})

    def script(self, inputs: TableInputs) -> list[str]:
        return [inputs.definition, *privacy.table_statements(inputs.name, inputs.final_acl)]

    def drop(self, cur: psycopg.Cursor, inputs: TableInputs) -> None:
        if inputs.drop_on_delete:
            cur.execute(render(sql_text("table/drop.sql"), name=inputs.name))


class Table(SqlObject, **sql_resource_type("Table")):
    provider_type = TableProvider
