"""Schemas (auth on plain PostgreSQL, scheduler_private everywhere). An existing schema is adopted and kept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import psycopg

from ..db import fetch_one_dict, render, sql_text
from . import privacy
from .base import SqlObject, SqlObjectProvider, sql_resource_type


@dataclass
class SchemaInputs:
    name: str
    created: Optional[bool] = None
    final_acl: privacy.FinalAcl = None  # see providers/privacy.py


class SchemaProvider(SqlObjectProvider[SchemaInputs]):
    inputs_type = SchemaInputs
    replace_on = ("name",)
    keep_when_depended_on = True
    provider_owned = ("created",)

    def object_id(self, inputs: SchemaInputs) -> str:
        return inputs.name

    def inspect(self, cur: psycopg.Cursor, inputs: SchemaInputs) -> Optional[dict[str, Any]]:
        return fetch_one_dict(cur, sql_text("schema/inspect.sql"), {"name": inputs.name})

    def script(self, inputs: SchemaInputs) -> list[str]:
        return [render(sql_text("schema/create.sql"), name=inputs.name),
                *privacy.schema_statements(inputs.name, inputs.final_acl)]

    def apply(self, cur: psycopg.Cursor, inputs: SchemaInputs) -> None:
        if inputs.created is None:
            inputs.created = self.inspect(cur, inputs) is None
        super().apply(cur, inputs)

    def drop(self, cur: psycopg.Cursor, inputs: SchemaInputs) -> None:
        if inputs.created:
            cur.execute(render(sql_text("schema/drop.sql"), name=inputs.name))


class Schema(SqlObject, **sql_resource_type("Schema")):
    provider_type = SchemaProvider
