"""Row Level Security switched on (and forced) for a table.

Deleting this resource leaves RLS on: a table that outlives the stack must not fall open. RLS disabled or FORCE removed by
hand is drift: a refresh sees the flags differ from what was applied, and the next up sets them again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import psycopg
from psycopg import sql

from ..db import fetch_one_dict, render, sql_text
from .base import SqlObject, SqlObjectProvider, sql_resource_type


@dataclass
class RowSecurityInputs:
    table: str
    force: bool = True


class RowSecurityProvider(SqlObjectProvider[RowSecurityInputs]):
    inputs_type = RowSecurityInputs
    replace_on = ("table",)

    def object_id(self, inputs: RowSecurityInputs) -> str:
        return f"{inputs.table}:rls"

    def inspect(self, cur: psycopg.Cursor, inputs: RowSecurityInputs) -> Optional[dict[str, Any]]:
        return fetch_one_dict(cur, sql_text("rls/inspect.sql"), {"table": inputs.table})

    def script(self, inputs: RowSecurityInputs) -> list[str]:
        force = sql.SQL("FORCE" if inputs.force else "NO FORCE")
        return [render(sql_text("rls/enable.sql"), table=inputs.table, force=force)]

    def drop(self, cur: psycopg.Cursor, inputs: RowSecurityInputs) -> None:
        pass


class RowSecurity(SqlObject, **sql_resource_type("RowSecurity")):
    provider_type = RowSecurityProvider
