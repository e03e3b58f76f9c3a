"""The cron grammar the kit accepts: standard five fields (minute hour day-of-month month day-of-week), each a list of
`*`, a value or a range, each with an optional /step; months and weekdays also by three-letter name; or one of the
macros @hourly, @daily, @weekly, @monthly, @yearly.

One regular expression, used three times: by jobs.yaml validation here, by jobs.schema.json (so editors flag a bad
schedule) and by the database's own rule on job_schedules.cron_expression (scheduler_private.check_job_definition,
run by a trigger on the definition columns only: PostgreSQL re-checks every CHECK on every UPDATE, and the
statistics trigger updates job_schedules once per finished execution). Fast tests check all three are this text. Letters
are spelled as [aA] classes, so the pattern means the same with or without a case-insensitive flag (JSON Schema has
none).

`explain` says, for an expression the pattern refuses, which field, which value and what range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
}


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    value_pattern: str
    names: tuple[str, ...] = ()


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _any_case(text: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in text)


def _names(names: tuple[str, ...]) -> str:
    return "|".join(_any_case(n) for n in names)


FIELDS = (
    _Field("minute", 0, 59, r"[0-5]?[0-9]"),
    _Field("hour", 0, 23, r"[01]?[0-9]|2[0-3]"),
    _Field("day-of-month", 1, 31, r"0?[1-9]|[12][0-9]|3[01]"),
    _Field("month", 1, 12, r"0?[1-9]|1[0-2]|" + _names(_MONTHS), _MONTHS),
    _Field("day-of-week", 0, 7, r"[0-7]|" + _names(_DAYS), _DAYS),
)
MAX_STEP = 99


def _field(value: str) -> str:
    item = rf"(\*|({value})(-({value}))?)(/[1-9][0-9]?)?"
    return rf"{item}(,{item})*"


CRON_PATTERN = (r"^\s*(" + "|".join(_any_case(m) for m in MACROS) + "|"
                + r"\s+".join(_field(f.value_pattern) for f in FIELDS) + r")\s*$")
_COMPILED = re.compile(CRON_PATTERN)

FORMS = ("five fields (minute hour day-of-month month day-of-week), e.g. '0 9 * * 1' (Mondays 09:00 UTC), "
         "or a macro: " + ", ".join(MACROS))


def matches_grammar(expression: str) -> bool:
    return bool(_COMPILED.match(expression))


def five_fields(expression: str) -> str:
    """The expression with a macro spelled out as its five fields (croniter and cron-descriptor read those)."""
    return MACROS.get(expression.strip().lower(), expression)


def _value_problem(spec: _Field, value: str) -> Optional[str]:
    if value.isdigit():
        if len(value) > 2 or not spec.low <= int(value) <= spec.high:
            return f"{spec.name} {value} is out of range {spec.low}-{spec.high}"
        return None
    if value.lower() in spec.names:
        return None
    if value in ("?",):
        return f"{spec.name} '?' is Quartz syntax, not five-field cron; use *"
    if re.search(r"[LW#]", value) and re.fullmatch(r"[0-9]*[LW#]?[0-9]*[LW]?", value):
        return f"{spec.name} {value!r} uses the Quartz extensions L, W or #, which the kit does not accept"
    named = f" or a name ({spec.names[0]}..{spec.names[-1]})" if spec.names else ""
    return f"{spec.name} {value!r} is not a number {spec.low}-{spec.high}{named}"


def _item_problem(spec: _Field, item: str) -> Optional[str]:
    base, slash, step = item.partition("/")
    if slash:
        if not step.isdigit():
            return f"{spec.name} step '/{step}' is not a number"
        if not 1 <= int(step) <= MAX_STEP or len(step) > 2:
            return f"{spec.name} step /{step} is out of range 1-{MAX_STEP}"
    if base == "*":
        return None
    if base == "":
        return f"{spec.name} {item!r} has a step but no value; write */{step} or a range such as 0-30/{step}"
    low, dash, high = base.partition("-")
    for value in (low, high) if dash else (low,):
        if value == "":
            return f"{spec.name} range {base!r} is missing a bound"
        if (problem := _value_problem(spec, value)) is not None:
            return problem
    return None


def explain(expression: str) -> Optional[str]:
    """None when the kit accepts the expression; otherwise what is wrong, naming the field, value and range."""
    if matches_grammar(expression):
        return None
    text = expression.strip()
    if not text:
        return "is empty"
    if text.startswith("@"):
        return f"{text!r} is not a macro the kit accepts (accepted: {', '.join(MACROS)})"
    fields = text.split()
    if len(fields) != len(FIELDS):
        hint = ("; seconds and years are not supported" if len(fields) in (6, 7) else "")
        return (f"has {len(fields)} field{'s' if len(fields) != 1 else ''}, the kit accepts 5 "
                f"(minute hour day-of-month month day-of-week) or a macro{hint}")
    for spec, value in zip(FIELDS, fields):
        for item in value.split(","):
            if not item:
                return f"{spec.name} {value!r} has an empty item in its list"
            if (problem := _item_problem(spec, item)) is not None:
                return problem
    return "is not a cron expression the kit accepts"
