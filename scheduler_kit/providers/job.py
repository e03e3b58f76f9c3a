"""One job of jobs.yaml: its definition row in public.job_schedules.

- Create adopts a row that already exists (made by hand, by a service, or retired earlier) and never writes the
  statistics columns.
- `enabled` and `cron_expression` are the admins' to change at run time: an update writes them only when jobs.yaml
  changed that field; refresh does not count an admin's change as drift. Every other definition column follows
  the file, and a hand edit to one of them is drift that the next `up --refresh` repairs.
- Delete retires the job: disabled, `retired_at` set; the row, its statistics and its history all stay.
- Every value reaches SQL as a parameter; each write is one transaction.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Optional

import psycopg
from psycopg.types.json import Jsonb

from ..db import fetch_one_dict, sql_text
from ..jobs_file import JobDefinition, job_problems
from .base import SqlObject, SqlObjectProvider, sql_resource_type
from pulumi.dynamic import UpdateResult

# Admin-owned at run time: not part of the drift snapshot.
ADMIN_FIELDS = ("cron_expression", "enabled")


# The provider's inputs are a job exactly as jobs.yaml defines it.
JobInputs = JobDefinition
# Integers beyond this are not exact as the engine's doubles anyway.
_EXACT_INTEGERS = 2**53


def json_numbers(value: Any) -> Any:
    """The config with whole numbers as integers again: the engine carries every number as a double, so a
    `batchSize: 100` arrived as 100.0 and was stored so; a service parsing it into an integer would refuse it, and a
    first deploy onto an adopted row rewrote the row's 100 as 100.0."""
    if isinstance(value, float) and value.is_integer() and abs(value) < _EXACT_INTEGERS:
        return int(value)
    if isinstance(value, dict):
        return {key: json_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_numbers(item) for item in value]
    return value


class JobProvider(SqlObjectProvider[JobInputs]):
    inputs_type = JobInputs
    replace_on = ("name",)

    def validate(self, inputs: JobInputs) -> list[str]:
        # The same rules as jobs.yaml validation, applied to the data itself: no round trip through JSON or YAML
        # text, which would split characters outside the BMP (emoji) into surrogates and refuse them.
        fields = {k: v for k, v in asdict(inputs).items() if v is not None}
        return [f"{p.where.split('.')[-1]}: {p.message}" for p in job_problems(fields)]

    def object_id(self, inputs: JobInputs) -> str:
        return inputs.name

    def _params(self, inputs: JobInputs, write_enabled: bool, write_cron: bool) -> dict[str, Any]:
        return {**asdict(inputs), "config": Jsonb(json_numbers(inputs.config or {})),
                "write_enabled": write_enabled, "write_cron": write_cron}

    def inspect(self, cur: psycopg.Cursor, inputs: JobInputs) -> Optional[dict[str, Any]]:
        row = fetch_one_dict(cur, sql_text("job/inspect.sql"), {"name": inputs.name})
        if row is None or row["retired"]:
            return None
        return {k: v for k, v in row.items() if k not in ADMIN_FIELDS}

    def script(self, inputs: JobInputs) -> list[str]:
        raise NotImplementedError("jobs are data, not schema: they are not part of `make sql`")

    def apply(self, cur: psycopg.Cursor, inputs: JobInputs, write_enabled: bool = True, write_cron: bool = True) -> None:
        cur.execute(sql_text("job/upsert.sql"), self._params(inputs, write_enabled, write_cron))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        # The file wins only for the admin fields it changed itself.
        return UpdateResult(self._write(self.to_inputs(news),
                                        write_enabled=olds.get("enabled") != news.get("enabled"),
                                        write_cron=olds.get("cron") != news.get("cron")))

    def drop(self, cur: psycopg.Cursor, inputs: JobInputs) -> None:
        cur.execute(sql_text("job/retire.sql"), {"name": inputs.name})


class Job(SqlObject, **sql_resource_type("Job")):
    provider_type = JobProvider
