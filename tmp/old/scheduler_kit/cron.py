"""The cron grammar the kit accepts: standard five fields (minute hour day-of-month month day-of-week), each a list of
`*`, a value or a range, each with an optional /step; months and weekdays also by three-letter name.

One regular expression, used twice: by jobs.yaml validation here, and by the database's own CHECK constraint on
job_schedules.cron_expression (inline in its .sql file, where a fast test checks it is this same text). A regular
expression, not a function call, because PostgreSQL re-checks every CHECK on every UPDATE, and the statistics
trigger updates job_schedules once per finished execution.
"""

from __future__ import annotations

import re

_FIELDS = (
    r"[0-5]?[0-9]",  # minute
    r"[01]?[0-9]|2[0-3]",  # hour
    r"0?[1-9]|[12][0-9]|3[01]",  # day of month
    r"0?[1-9]|1[0-2]|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec",  # month
    r"[0-7]|sun|mon|tue|wed|thu|fri|sat",  # day of week
)


def _field(value: str) -> str:
    item = rf"(\*|({value})(-({value}))?)(/[1-9][0-9]?)?"
    return rf"{item}(,{item})*"


CRON_PATTERN = r"^\s*" + r"\s+".join(_field(v) for v in _FIELDS) + r"\s*$"
_COMPILED = re.compile(CRON_PATTERN, re.IGNORECASE)


def matches_grammar(expression: str) -> bool:
    return bool(_COMPILED.match(expression))
