"""The adoption report: what a deploy will do to the database it finds, read before anything is registered.

The kit's users do not start from an empty database: theirs already ran the seed's migration 035, with its tables,
trigger, policies and helpers, and months of history whose statistics the seed's trigger counted again on every later
write. Every preview and deployment reads the database first (read-only: one transaction, rolled back) and says
- which tables exist and what applying the kit's shape changes in them (sql/adopt/conform_table.function.sql, run
  with apply = false), which triggers, policies and constraints on them the kit does not declare and removes;
- which objects of the kit's names it replaces, and which functions of the kit's names with other signatures it
  drops (callers would otherwise get "function ... is not unique");
- for every job whose stored counters or last_run_* differ from its history, the stored and the recounted values
  (the statistics take-over writes the recount, see trigger_update_job_stats.trigger.sql);
- every rule existing rows break: the rule, the count, the first rows and the fix; and which job rows break the
  definition rules.
Rows that break a rule refuse the deployment in one message, before anything changes, unless the stack keeps them
(scheduler-kit:keepInvalidRows): then history's constraints are added NOT VALID and each preview names them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Optional, Sequence

import psycopg
import yaml
from psycopg import sql

from .db import render, sql_text
from .jobs_file import JobDefinition, job_problems
from .providers.table import CONFORM_FUNCTION, TableInputs, conformance_report

# Only history may keep rows that break a rule. Job rows are definitions that every execution's statistics update
# rewrites, and PostgreSQL checks a NOT VALID constraint on every new row version: a kept job row would make its
# job's statistics fail, so job rows are fixed instead (jobs.yaml, `make jobs-import`, or the suggested SQL).
DEFERRABLE_TABLES = ("public.scheduled_jobs",)
# The job rows' statistics columns are recounted from the history when the kit takes the statistics over: their
# rules, and NOT NULL on them, are added NOT VALID until then and validated by the take-over (whatever the rows held).
STATISTICS_RULES = tuple(f"job_schedules_{rule}" for rule in (
    "counters_non_negative", "counters_add_up", "last_run_status_check", "last_run_duration_non_negative",
    "total_runs_not_null", "successful_runs_not_null", "failed_runs_not_null"))
SAMPLE = 5
FIXES_PATH = Path(__file__).parent / "sql" / "adopt" / "fixes.yaml"
KEEP_SETTING = "pulumi config set scheduler-kit:keepInvalidRows true"


class AdoptionRefused(ValueError):
    """Existing rows break the kit's rules and the stack does not keep them: the whole report, nothing changed."""


@functools.lru_cache(maxsize=None)
def _fixes() -> dict[str, str]:
    return yaml.safe_load(FIXES_PATH.read_text(encoding="utf-8"))


def fix_for(table: str, rule: str) -> str:
    fixes = _fixes()
    short = table.split(".", 1)[1]
    if rule in fixes:
        return fixes[rule].format(table=table)
    for suffix in ("not_null", "type", "present"):
        if rule.endswith("_" + suffix):
            column = rule[len(short) + 1:-(len(suffix) + 1)]
            return fixes[suffix].format(table=table, column=column)
    if "_fits_" in rule:
        column = rule[len(short) + 1:rule.index("_fits_")]
        return fixes["fits"].format(table=table, column=column)
    return f"UPDATE {table} ... so that the rows named pass the rule"


def describe_refusal(table: str, refusal: dict[str, Any]) -> str:
    """`- table rule (definition): N rows, first: a, b; fix: ...` for one broken rule."""
    count = refusal.get("count")
    rows = "" if count is None else f": {count:,} row{'s' if count != 1 else ''}"
    sample = refusal.get("sample") or []
    first = f" ({refusal.get('by') or 'first'}: {', '.join(map(str, sample))}{', ...' if (count or 0) > len(sample) else ''})" if sample else ""
    fix = refusal.get("fix") or fix_for(table, refusal["rule"])
    return f"- {table} {refusal['rule']} [{refusal.get('definition') or ''}]{rows}{first}; fix: {fix}"


@dataclass
class AdoptionReport:
    keep_invalid: bool = False
    statistics_kept: bool = True
    tables: list[dict[str, Any]] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    dropped_functions: list[str] = field(default_factory=list)
    statistics: list[dict[str, Any]] = field(default_factory=list)
    job_problems: list[str] = field(default_factory=list)
    job_changes: list[str] = field(default_factory=list)

    def _deferred(self, table: str, refusal: dict[str, Any]) -> bool:
        """Whether a broken rule is added NOT VALID rather than refused: kept history, or statistics to recount."""
        if not refusal.get("can_defer"):
            return False
        if not self.statistics_kept and refusal["rule"] in STATISTICS_RULES:
            return True
        return self.keep_invalid and table in DEFERRABLE_TABLES

    @property
    def refusals(self) -> list[str]:
        """Every broken rule the deployment refuses for, as one line each (empty: nothing is refused)."""
        lines = []
        for report in self.tables:
            for refusal in report["refusals"]:
                if not self._deferred(report["table"], refusal):
                    lines.append(describe_refusal(report["table"], refusal))
        if not self.keep_invalid:
            lines += self.job_problems
        return lines

    @property
    def not_valid(self) -> dict[str, list[str]]:
        """By table, the rules kept NOT VALID: rows still break them and the stack keeps those rows."""
        kept: dict[str, list[str]] = {}
        for report in self.tables:
            rules = [r["rule"] for r in report["refusals"]
                     if self._deferred(report["table"], r) and r["rule"] not in STATISTICS_RULES]
            if rules:
                kept[report["table"]] = sorted(rules)
        return kept

    def refusal_message(self) -> str:
        refusals = self.refusals
        keep = ("" if self.keep_invalid else
                f" Fix the rows (the SQL below is a suggestion to review), or keep the history's rows as they are with "
                f"`{KEEP_SETTING}` (its constraints are then added NOT VALID: new writes are checked, old rows stay).")
        return (f"the database's existing rows break {len(refusals)} of the kit's rules; nothing was changed.{keep}\n"
                + "\n".join(refusals))

    def lines(self) -> list[str]:
        """The report as the preview prints it: one message per table or topic (empty for a database with nothing
        to adopt, repair or report)."""
        messages = []
        not_valid = self.not_valid
        for report in self.tables:
            # A rule kept NOT VALID: shown as added NOT VALID, and not as validated while rows still break it.
            kept_rules = set(not_valid.get(report["table"], ())) | {
                r["rule"] for r in report["refusals"] if self._deferred(report["table"], r)}
            changes = [{**c, "not_valid": c.get("name") in kept_rules or c.get("not_valid")} for c in report["changes"]
                       if not (c["kind"] == "validate constraint" and c.get("name") in kept_rules)]
            if not report["exists"]:
                continue
            # What the kit leaves as it found it is said once, when it adopts the table.
            kept = report["kept"] if not self.statistics_kept else []
            if not changes and not kept:
                continue
            head = (f"adopt table {report['table']} ({report['rows']:,} rows, kept as they are)"
                    if not self.statistics_kept else f"table {report['table']} ({report['rows']:,} rows)")
            body = [f"  {_sign(c['kind'])} {c['kind']} {c.get('name', '')}{_detail(c)}" for c in changes]
            body += [f"  = keep {k['kind']} {k['name']} ({k['detail']}): not the kit's, left as it is"
                     for k in kept]
            messages.append("\n".join([head + (":" if body else ""), *body]))
        if self.replaced:
            messages.append("replace what the kit declares under the same names (the kit's definitions win):\n"
                            + "\n".join(f"  ~ {name}" for name in self.replaced))
        if self.dropped_functions:
            messages.append("drop functions of the kit's names with other signatures (callers would get "
                            "'function ... is not unique'):\n" + "\n".join(f"  - function {s}" for s in self.dropped_functions))
        if self.statistics:
            lines = [f"  {m['job_name']}: " + ", ".join(
                f"{key} {_show(m['stored'].get(key))} -> {_show(m['recounted'].get(key))}" for key in m["stored"]
                if m["stored"].get(key) != m["recounted"].get(key)) for m in self.statistics]
            messages.append(f"statistics: the kit takes over the job statistics and recounts them from the history, in "
                            f"the transaction that installs its trigger; {len(self.statistics)} job(s) differ "
                            "(stored -> recounted):\n" + "\n".join(lines))
        recounted = [r["rule"] for t in self.tables for r in t["refusals"]
                     if not self.statistics_kept and r["rule"] in STATISTICS_RULES and r.get("can_defer")]
        if recounted:
            messages.append(f"the job rows' statistics break {', '.join(recounted)}: added NOT VALID, then validated "
                            "by the take-over once they are recounted from the history")
        for table, rules in not_valid.items():
            report = next(r for r in self.tables if r["table"] == table)
            kept = [r for r in report["refusals"] if r["rule"] in rules] + [
                r for r in report["not_valid"] if r["rule"] not in rules]
            messages.append(f"not yet validated: {len(kept)} constraint(s) of {table} are NOT VALID because existing "
                            f"rows break them (scheduler-kit:keepInvalidRows); new writes are checked. Fix the rows and "
                            f"the next `pulumi up` validates them:\n" + "\n".join(describe_refusal(table, r) for r in kept))
        if self.job_changes:
            messages.append("jobs: what the first deployment does to the job rows that exist (jobs.yaml wins; run "
                            "`make jobs-import` first to keep the database's values):\n"
                            + "\n".join(f"  {change}" for change in self.job_changes))
        if self.keep_invalid and self.job_problems:
            messages.append("job rows that break the definition rules, kept as they are (scheduler-kit:keepInvalidRows):\n"
                            + "\n".join(self.job_problems))
        return messages


def _show(value: Any) -> str:
    return "none" if value is None else str(value)


def _sign(kind: str) -> str:
    return "-" if kind.startswith("drop") else "+" if kind.startswith(("add", "create")) else "~"


def _detail(change: dict[str, Any]) -> str:
    detail = change.get("detail")
    was = f" (was {change['was']})" if change.get("was") else ""
    not_valid = " NOT VALID (rows break it)" if change.get("not_valid") else ""
    return (f": {detail}" if detail else "") + was + not_valid


def _job_fields(row: dict[str, Any]) -> dict[str, Any]:
    """A job row's definition in jobs.yaml's words, for the same validator the file goes through."""
    names = {"job_name": "name", "display_name": "display_name", "description": "description",
             "cron_expression": "cron", "enabled": "enabled", "service": "service", "endpoint": "endpoint",
             "config": "config"}
    return {key: row.get(column) for column, key in names.items() if row.get(column) is not None}


# The database's definition rules (sql/model/check_job_definition.function.sql) by the jobs.yaml field they check; the
# validator jobs.yaml goes through accepts exactly what they accept (tests/policy/test_definition_rules.py).
DEFINITION_RULES = {"name": "job_schedules_job_name_format", "cron": "job_schedules_cron_expression_valid",
                    "service": "job_schedules_service_not_blank", "endpoint": "job_schedules_endpoint_not_blank",
                    "config": "job_schedules_config_is_object"}


def _job_problems(rows: Sequence[dict[str, Any]], jobs: Sequence[JobDefinition]) -> list[str]:
    """Per definition rule, the job rows that break it and that jobs.yaml does not rewrite (a job it lists gets the
    file's definition written over its row). A missing value is the NOT NULL rule's, reported with the table's."""
    listed = {job.name for job in jobs}
    broken: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        name = row.get("job_name")
        if name in listed:
            continue
        for problem in job_problems(_job_fields(row)):
            field_name = problem.where.split(".")[-1] if "." in problem.where else None
            if field_name is None:
                continue  # a required field missing: the column's NOT NULL rule names it
            rule = DEFINITION_RULES.get(field_name, f"job_schedules_{field_name}_valid")
            broken.setdefault(rule, []).append((str(name), problem.message))
    lines = []
    for rule, offenders in sorted(broken.items()):
        names = sorted(name for name, _ in offenders)
        first = "; ".join(message for _, message in offenders[:2])
        fix = _fixes().get(rule, fix_for("public.job_schedules", "job_definition")).format(table="public.job_schedules")
        lines.append(f"- public.job_schedules {rule} [{first}]: {len(names)} row{'s' if len(names) != 1 else ''} "
                     f"(job_name: {', '.join(names[:SAMPLE])}{', ...' if len(names) > SAMPLE else ''}); fix: {fix}")
    return lines


def survey(conn: psycopg.Connection, tables: Sequence[TableInputs], function_signatures: Sequence[str],
           policy_names: Sequence[str], trigger_names: Sequence[str], jobs: Sequence[JobDefinition],
           keep_invalid: bool) -> AdoptionReport:
    """Reads the database and reports (see the module's docstring); changes nothing: one transaction, rolled back.
    Each table is compared as if no rule were kept NOT VALID, so that a kept rule whose rows are fixed shows.
    `conn`: an open connection (the program's, whose login is its reachability check), left open."""
    try:
        return _survey(conn, tables, function_signatures, policy_names, trigger_names, jobs, keep_invalid)
    except psycopg.Error as error:
        raise AdoptionRefused(f"could not read the database to plan the deployment ({type(error).__name__}: "
                              f"{str(error).strip()}); nothing was changed") from None


def _survey(conn: psycopg.Connection, tables: Sequence[TableInputs], function_signatures: Sequence[str],
            policy_names: Sequence[str], trigger_names: Sequence[str], jobs: Sequence[JobDefinition],
            keep_invalid: bool) -> AdoptionReport:
    report = AdoptionReport(keep_invalid=keep_invalid)
    with conn.transaction(force_rollback=True), conn.cursor() as cur:
        cur.execute("SET LOCAL search_path = pg_catalog, pg_temp")
        cur.execute("SET LOCAL lock_timeout = '10s'")
        cur.execute(sql_text("adopt/statistics_kept.sql"))
        kept, has_jobs, has_history = cur.fetchone()
        report.statistics_kept = kept
        if not (has_jobs or has_history):
            return report  # a fresh database: everything is simply created
        cur.execute(sql_text(CONFORM_FUNCTION))  # once, for every table
        for inputs in tables:
            report.tables.append(conformance_report(cur, replace(inputs, not_valid=[])))
        names = sorted({s.split("(")[0] for s in function_signatures})
        signatures = [next(s for s in function_signatures if s.split("(")[0] == name) for name in names]
        cur.execute(sql_text("adopt/overloads.sql"), {"schemas": [n.partition(".")[0] for n in names],
                                                      "names": [n.partition(".")[2] for n in names],
                                                      "signatures": signatures})
        report.dropped_functions = [row[0] for row in cur.fetchall()]
        if not kept:
            cur.execute(sql_text("adopt/kit_named_objects.sql"), {
                "signatures": list(function_signatures), "tables": sorted({t.name for t in tables}),
                "policies": list(policy_names), "triggers": list(trigger_names)})
            report.replaced = [f"{kind} {name}" for kind, name, same in cur.fetchall() if same]
            if has_jobs and has_history:
                cur.execute(render(sql_text("adopt/statistics_mismatches.sql"),
                                   recounted=sql.SQL(sql_text("adopt/recounted.sql").strip())))
                report.statistics = [dict(job_name=r[0], stored=r[1], recounted=r[2]) for r in cur.fetchall()]
        if has_jobs:
            cur.execute(sql_text("job/import_rows.sql"))
            rows = [row[0] for row in cur.fetchall()]
            report.job_problems = _job_problems(rows, jobs)
            if not kept:
                # The first deployment: jobs.yaml is written over every row it lists (`make jobs-import` first keeps
                # the database's values); once deployed, the preview's own diff shows each job's changes.
                from .jobs_import import job_field_changes  # a first deployment only: not imported by every preview

                report.job_changes = [str(change) for change in job_field_changes(rows, jobs)]
    return report


def survey_plan(conn: psycopg.Connection, plan: Sequence[Any], jobs: Sequence[JobDefinition],
                keep_invalid: bool) -> AdoptionReport:
    """`survey` of the objects a plan (scheduler_kit.model) manages."""
    from .providers.function import Function
    from .providers.policy import Policy
    from .providers.table import Table
    from .providers.trigger import Trigger

    of = lambda kind: [item.inputs for item in plan if item.kind is kind]  # noqa: E731
    return survey(conn, of(Table), [f.signature for f in of(Function)], [p.name for p in of(Policy)],
                  [t.name for t in of(Trigger)], jobs, keep_invalid)
