"""Adopting the users' database (issue 15, "Done when"): on both profiles, through the real engine, a stack pointed at
the database the seed's migration 035 left (tests/adoption/legacy_db.py) is refused with every problem in one
message and nothing changed, or adopted by one `pulumi up`; afterwards every history row is kept, every job's
counters equal its history, the rollups equal an exact computation, the service's insert-then-complete path works
and counts once, the seed's callers of the statistics function get one function, the next preview changes nothing,
only the kit's policies and triggers remain, and the audit passes.

The engine's wording is not fixed yet: every assertion on its output looks for what any wording must contain (table,
constraint and job names, counts), through the patterns in PHRASES, the one place to align with the kit's messages.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterator

import psycopg
import pytest

from scheduler_kit.policies import load_policies
from scheduler_kit.providers.trigger import Trigger
from tests.adoption import legacy_db
from tests.adoption.engine_runs import EngineRun, legacy_stack, run_engine
from tests.adoption.legacy_db import BROKEN_CONSTRAINTS, BROKEN_RULES, LegacyDatabase
from tests.support.actors import attempt
from tests.support.cluster import Cluster
from tests.support.deploy import DeployedStack
from tests.support.exact_stats import stats_mismatches
from tests.support.model_db import model_database
from tests.support.plan import kit_plan
from tests.support.toolchain import ROOT

pytestmark = pytest.mark.slow

# What the engine's output must say, as regular expressions over one line of it; {placeholders} are filled with
# re.escape()d names and number_pattern() counts (whole numbers, with or without thousands separators). The examples
# are the wording assumed; any wording that puts these facts on one line passes.
PHRASES = {
    # A rule that existing rows break, with how many rows, e.g.
    # "scheduled_jobs_status_check: 3 rows break it (first: 6f1c..., ...); fix: UPDATE public.scheduled_jobs ..."
    "rule_with_count": r"\b{rule}\b.*?{count}",
    # An existing table taken over rather than created, e.g. "public.scheduled_jobs: adopting (5,000 rows)".
    "adopted_table": r"(?i)\b{table}\b.*\badopt|\badopt.*\b{table}\b",
    # A constraint added NOT VALID because old rows break it, e.g.
    # "scheduled_jobs_status_check is NOT VALID: 3 existing rows break it (keepInvalidRows)".
    "not_validated": r"(?i)\b{constraint}\b.*(not valid|not yet validated|unvalidated|not validated)"
                     r"|(not valid|not yet validated|unvalidated|not validated).*\b{constraint}\b",
    # A job whose stored counters differ from its history, with the stored and the recounted total_runs, e.g.
    # "hourly-sync: total_runs 1,012 stored, 936 counted from the history".
    "counter_mismatch": r"\b{job}\b.*?{stored}.*?{recounted}",
}
KEEP_INVALID_ROWS = {"keepInvalidRows": "true"}
AUDIT_TIMEOUT_SECONDS = 300
FIX_BAD_ROWS = (legacy_db.SQL_DIR / "fix_bad_rows.sql").read_text(encoding="utf-8")
# The kit's own objects on the tables it manages: nothing else may remain there after adoption.
KIT_TABLES = ("public.job_schedules", "public.scheduled_jobs", "public.job_execution_rollups")


def number_pattern(value: int) -> str:
    """A count as the output may print it (5000 or 5,000), as a whole number: not part of 15, 5.2, 3s or 1,000."""
    plain, grouped = str(value), f"{value:,}"
    either = plain if plain == grouped else f"(?:{plain}|{re.escape(grouped)})"
    return rf"(?<!\w)(?<!\d[.,]){either}(?!\w)(?![.,]\d)"


def phrase(key: str, **values) -> re.Pattern:
    filled = {k: (number_pattern(v) if isinstance(v, int) else re.escape(v)) for k, v in values.items()}
    return re.compile(PHRASES[key].format(**filled))


# A resource's SQL shown as an input (`definition: "-- ...\n CREATE ..."`) is the kit's source text, not a report:
# it may mention constraint names, numbers or "adopted" in its comments.
_SQL_INPUT_LINE = re.compile(r"^\s*[-+~]?\s*definition\s*:")


def report_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if not _SQL_INPUT_LINE.match(line)]


def says(output: str, key: str, **values) -> bool:
    pattern = phrase(key, **values)
    return any(pattern.search(line) for line in report_lines(output))


# --- what the database looks like -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Observed:
    """A database as the tests compare it before and after a deploy."""
    history: tuple
    jobs: tuple
    catalog: list
    recount: dict
    broken: dict


def observe(dsn: str) -> Observed:
    with psycopg.connect(dsn) as conn:
        return Observed(legacy_db.history_fingerprint(conn), legacy_db.job_rows_fingerprint(conn),
                        legacy_db.catalog_snapshot(conn), legacy_db.recount(conn), legacy_db.broken_rules(conn))


def missing_rule_reports(output: str, broken: dict[str, list[str]], where: str) -> list[str]:
    """Each broken rule the output does not name with its count and at least one of its rows."""
    problems, text = [], "\n".join(report_lines(output))
    for rule, offenders in sorted(broken.items()):
        if not says(output, "rule_with_count", rule=rule, count=len(offenders)):
            problems.append(f"{where} does not name {rule} with its count {len(offenders)}")
        if not any(offender in text for offender in offenders):
            problems.append(f"{where} names none of the rows that break {rule} ({', '.join(offenders[:3])})")
    return problems


def convalidated(conn: psycopg.Connection, table: str) -> dict[str, bool]:
    return dict(conn.execute("SELECT conname, convalidated FROM pg_constraint WHERE conrelid = %s::regclass"
                             " AND contype = 'c'", (table,)).fetchall())


def fail_unless_passed(run: EngineRun, what: str) -> None:
    if not run.ok:
        pytest.fail(f"{what} failed, so nothing after it can be checked:\n{run.errors()}", pytrace=False)


# --- rows the kit's rules refuse -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Refusal:
    legacy: LegacyDatabase
    before: Observed
    preview: EngineRun
    after_preview: Observed
    up: EngineRun
    after_up: Observed


@pytest.fixture(scope="module")
def refused(profile_cluster) -> Iterator[Refusal]:
    """The database with bad rows, previewed, then `pulumi up` without keepInvalidRows."""
    with legacy_stack(profile_cluster, bad_rows=True) as (legacy, stack):
        before = observe(legacy.dsn)
        assert {rule: len(rows) for rule, rows in before.broken.items()} == BROKEN_RULES  # the bed is as built
        preview = run_engine(lambda: stack.preview(diff=True))
        after_preview = observe(legacy.dsn)
        up = run_engine(stack.up)
        yield Refusal(legacy, before, preview, after_preview, up, observe(legacy.dsn))


def unchanged(before: Observed, after: Observed, what: str) -> list[str]:
    problems = []
    if after.history != before.history:
        problems.append(f"{what} changed the history: {before.history} -> {after.history}")
    if after.jobs != before.jobs:
        problems.append(f"{what} changed the job rows: {before.jobs} -> {after.jobs}")
    difference = legacy_db.snapshot_difference(before.catalog, after.catalog)
    if difference:
        problems.append(f"{what} changed the catalog:\n  " + "\n  ".join(difference))
    return problems


def test_the_preview_reports_every_rule_the_rows_break(refused):
    # The preview fails as the up would, so that a pull request's check is red before anyone deploys.
    problems = ["the preview passed over rows that break the kit's rules"] if refused.preview.ok else []
    problems += missing_rule_reports(refused.preview.output, refused.before.broken, "the preview")
    problems += unchanged(refused.before, refused.after_preview, "the preview")
    assert not problems, "\n".join(problems)


def test_bad_rows_refuse_the_up_with_every_rule_at_once_and_change_nothing(refused):
    problems = ["the up passed over rows that break the kit's rules"] if refused.up.ok else []
    problems += missing_rule_reports(refused.up.output, refused.before.broken, "the refused up")
    problems += unchanged(refused.before, refused.after_up, "the refused up")
    assert not problems, "\n".join(problems) + f"\n--- what the up said:\n{refused.up.errors()}"


# --- keeping old rows: constraints NOT VALID -----------------------------------------------------------------------

def test_keep_invalid_rows_adds_the_broken_constraints_not_valid_and_validates_them_once_fixed(profile_cluster, gateway,
                                                                                             tokens):
    with legacy_stack(profile_cluster, KEEP_INVALID_ROWS, bad_rows=True) as (legacy, stack):
        before = observe(legacy.dsn)
        preview = run_engine(lambda: stack.preview(diff=True))
        up = run_engine(stack.up)
        fail_unless_passed(up, "the up with keepInvalidRows")
        problems = [] if preview.ok else [f"the preview with keepInvalidRows failed:\n{preview.errors()}"]
        for run, what in ((preview, "the preview"), (up, "the up")):
            for constraint in BROKEN_CONSTRAINTS:
                if not says(run.output, "not_validated", constraint=constraint):
                    problems.append(f"{what} does not say that {constraint} is not validated")
            problems += missing_rule_reports(run.output, before.broken, what)
        with psycopg.connect(legacy.dsn) as conn:
            if legacy_db.history_fingerprint(conn) != before.history:
                problems.append("the up modified the history to make a rule pass")
            validated = convalidated(conn, "public.scheduled_jobs")
            for constraint in BROKEN_CONSTRAINTS:
                if validated.get(constraint) is not False:
                    problems.append(f"{constraint}: expected NOT VALID, found "
                                    f"{'missing' if constraint not in validated else 'validated'}")
            valid = sorted(c for c, ok in validated.items() if c not in BROKEN_CONSTRAINTS and not ok)
            if valid:
                problems.append(f"constraints no old row breaks were left NOT VALID too: {valid}")
            # The statistics describe the kept history (a negative duration is no duration), also after the service's
            # corrections and retention around the kept rows.
            problems += [f"after the up: {p}" for p in legacy_db.statistics_problems(conn)]
            legacy_db.correct_beside_a_kept_row(conn)
            problems += [f"after a correction: {p}" for p in legacy_db.statistics_problems(conn)]
            legacy_db.purge_beside_a_negative_duration(conn)
            problems += [f"after a purge: {p}"
                         for p in legacy_db.statistics_problems(conn, lifetime=(legacy_db.PURGED,))]
        # New writes are checked all the same, and so is a kept row written again (a new row version is checked
        # against NOT VALID constraints too, until the row is fixed: docs/adopting.md).
        writes = {"a new 'cancelled' execution":
                  "INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at)"
                  " VALUES ('hourly-sync', 'cancelled', now(), now())",
                  "an UPDATE of a kept 'cancelled' execution":
                  "UPDATE public.scheduled_jobs SET metadata = '{\"touched\": true}'"
                  " WHERE id = (SELECT id FROM public.scheduled_jobs WHERE status = 'cancelled' LIMIT 1)"}
        with psycopg.connect(legacy.actor_dsn) as actor:
            for what, statement in writes.items():
                out = attempt(actor, gateway, tokens.service(), statement)
                if out.ok or "scheduled_jobs_status_check" not in out.message:
                    problems.append(f"{what} was not refused by scheduled_jobs_status_check: {out}")
                actor.rollback()
        assert not problems, "\n".join(problems)

        with psycopg.connect(legacy.dsn) as conn:  # the user repairs the rows the up reported
            conn.execute(FIX_BAD_ROWS)
        again = run_engine(stack.up)
        fail_unless_passed(again, "the up after the rows were fixed")
        with psycopg.connect(legacy.dsn) as conn:
            validated = convalidated(conn, "public.scheduled_jobs")
            assert legacy_db.statistics_problems(conn, lifetime=(legacy_db.RENAMED_BY_THE_FIX, legacy_db.PURGED)) == [], \
                "the statistics after the rows were fixed"
        assert {c: validated.get(c) for c in BROKEN_CONSTRAINTS} == {c: True for c in BROKEN_CONSTRAINTS}


# --- the clean history: adopted by one up --------------------------------------------------------------------------

@dataclass(frozen=True)
class Adoption:
    legacy: LegacyDatabase
    stack: DeployedStack
    before: Observed
    preview: EngineRun
    after_preview: Observed
    up: EngineRun

    def require_adopted(self) -> None:
        fail_unless_passed(self.up, "the adopting up")


@pytest.fixture(scope="module")
def adopted(profile_cluster) -> Iterator[Adoption]:
    """The clean database, previewed, then adopted by `pulumi up`; shared by the checks below (in file order)."""
    with legacy_stack(profile_cluster) as (legacy, stack):
        before = observe(legacy.dsn)
        assert before.broken == {}
        preview = run_engine(lambda: stack.preview(diff=True))
        after_preview = observe(legacy.dsn)
        yield Adoption(legacy, stack, before, preview, after_preview, run_engine(stack.up))


def test_the_preview_of_an_adoption_names_the_tables_adopted_and_the_counter_report(adopted):
    problems = [] if adopted.preview.ok else [f"the preview failed:\n{adopted.preview.errors()}"]
    output = adopted.preview.output
    for table in ("public.job_schedules", "public.scheduled_jobs"):
        if not says(output, "adopted_table", table=table):
            problems.append(f"the preview does not say that the existing {table} is adopted")
    mismatched = {job: pair for job, pair in adopted.before.recount.items() if pair[0] != pair[1]}
    assert mismatched, "the bed's counters should be the seed's double counts"
    reported = [job for job, (stored, recounted) in mismatched.items()
                if says(output, "counter_mismatch", job=job, stored=stored.total_runs,
                        recounted=recounted.total_runs)]
    if not reported:
        example = next(iter(mismatched.items()))
        problems.append(f"the preview reports no job's stored and recounted total_runs (of {len(mismatched)} that"
                        f" differ, e.g. {example[0]}: {example[1][0].total_runs} stored,"
                        f" {example[1][1].total_runs} in the history)")
    problems += unchanged(adopted.before, adopted.after_preview, "the preview")
    assert not problems, "\n".join(problems)


def test_adoption_keeps_every_history_row(adopted):
    adopted.require_adopted()
    with psycopg.connect(adopted.legacy.dsn) as conn:
        assert legacy_db.history_fingerprint(conn) == adopted.before.history


def test_adoption_recounts_every_jobs_counters_and_last_run(adopted):
    adopted.require_adopted()
    with psycopg.connect(adopted.legacy.dsn) as conn:
        mismatches = legacy_db.counter_mismatches(conn)
        assert sorted(legacy_db.recount(conn)) == sorted(adopted.before.recount)
    assert not mismatches, "\n".join(f"{job}: stored {stored} != history {recounted}"
                                     for job, (stored, recounted) in mismatches.items())


def test_adoption_builds_the_rollups_from_the_history(adopted):
    adopted.require_adopted()
    month_ago = datetime.now(timezone.utc) - timedelta(days=30, hours=5)
    with psycopg.connect(adopted.legacy.dsn) as conn:
        conn.execute("SET ROLE service_role")
        problems = [*stats_mismatches(conn, None, None), *stats_mismatches(conn, None, month_ago),
                    *stats_mismatches(conn, "hourly-sync", None)]
    assert not problems, "\n".join(problems[:10])


def test_adoption_takes_the_kits_column_shape(adopted):
    """Missing columns added, types widened, NOT NULL and the kit's defaults, as a fresh deployment has them."""
    adopted.require_adopted()
    query = ("SELECT table_name || '.' || column_name, data_type, is_nullable, column_default"
             " FROM information_schema.columns WHERE table_schema = 'public'"
             " AND table_name IN ('job_schedules', 'scheduled_jobs') ORDER BY 1")
    with model_database(Cluster.start("postgres")) as model_dsn, psycopg.connect(model_dsn) as model:
        wanted = {column: rest for column, *rest in model.execute(query).fetchall()}
    with psycopg.connect(adopted.legacy.dsn) as conn:
        found = {column: rest for column, *rest in conn.execute(query).fetchall()}
    problems = []
    for column, (kind, nullable, default) in wanted.items():
        if column not in found:
            problems.append(f"{column}: missing")
            continue
        got_kind, got_nullable, got_default = found[column]
        if (got_kind, got_nullable) != (kind, nullable) or (default is not None and got_default != default):
            problems.append(f"{column}: {got_kind} nullable={got_nullable} default={got_default};"
                            f" the kit's: {kind} nullable={nullable} default={default}")
    assert not problems, "\n".join(problems)


def test_the_services_insert_then_complete_counts_once_after_adoption(adopted, gateway, tokens):
    adopted.require_adopted()
    job, service = "hourly-sync", tokens.service()

    def counts(actor) -> tuple:
        out = attempt(actor, gateway, service,
                      "SELECT s.total_runs, s.successful_runs,"
                      " (SELECT coalesce(sum(r.completed), 0) FROM public.job_execution_rollups AS r"
                      "   WHERE r.job_name = s.job_name)"
                      " FROM public.job_schedules AS s WHERE s.job_name = %s", (job,))
        assert out.ok, out.message
        return tuple(int(v) for v in out.rows[0])

    with psycopg.connect(adopted.legacy.actor_dsn) as actor:  # one transaction, rolled back at the end
        before = counts(actor)
        started = attempt(actor, gateway, service, "INSERT INTO public.scheduled_jobs (job_name, status, started_at)"
                                                   " VALUES (%s, 'running', now()) RETURNING id", (job,))
        assert started.ok, f"the service could not start an execution: {started.message}"
        (execution,) = started.rows[0]
        finished = attempt(actor, gateway, service,
                           "UPDATE public.scheduled_jobs SET status = 'completed', completed_at = now(),"
                           " duration_ms = 1234, items_processed = 10 WHERE id = %s", (execution,))
        assert finished.ok and finished.rowcount == 1, f"the service could not finish it: {finished.message}"
        rewritten = attempt(actor, gateway, service,
                            "UPDATE public.scheduled_jobs SET metadata = '{\"notified\": true}' WHERE id = %s",
                            (execution,))
        assert rewritten.ok, rewritten.message
        after = counts(actor)
        actor.rollback()
    assert after == (before[0] + 1, before[1] + 1, before[2] + 1), f"{before} -> {after}"


def test_the_seeds_callers_get_one_statistics_function(adopted, gateway, tokens):
    adopted.require_adopted()
    with psycopg.connect(adopted.legacy.dsn) as conn:
        functions = [row[0] for row in conn.execute(
            "SELECT oid::regprocedure::text FROM pg_proc WHERE pronamespace = 'public'::regnamespace"
            " AND proname IN ('get_job_execution_stats', 'get_job_execution_history') ORDER BY 1").fetchall()]
        (executions,) = conn.execute("SELECT count(*) FROM public.scheduled_jobs WHERE job_name = 'hourly-sync'"
                                     ).fetchone()
    assert functions == ["get_job_execution_history(text,integer,integer)",
                         "get_job_execution_stats(text,timestamp with time zone)"]
    with psycopg.connect(adopted.legacy.actor_dsn) as actor:
        stats = attempt(actor, gateway, tokens.service(), "SELECT * FROM public.get_job_execution_stats('hourly-sync')")
        page = attempt(actor, gateway, tokens.service(),
                       "SELECT * FROM public.get_job_execution_history('hourly-sync', 20, 0)")
        actor.rollback()
    assert stats.ok, stats.message
    assert [row[:2] for row in stats.rows] == [("hourly-sync", executions)]
    assert page.ok and len(page.rows) == 20, page.message


def test_only_the_kits_policies_and_triggers_remain_on_its_tables(adopted):
    adopted.require_adopted()
    plan = kit_plan(adopted.legacy.cluster.target)
    declared_triggers = {(item.inputs.table, item.inputs.name) for item in plan if item.kind is Trigger}
    declared_policies = {(p.table, p.name) for p in load_policies()}
    with psycopg.connect(adopted.legacy.dsn) as conn:
        conn.execute("SET search_path = ''")  # so that regclass prints every table schema-qualified
        triggers = set(conn.execute("SELECT tgrelid::regclass::text, tgname FROM pg_trigger"
                                    " WHERE tgrelid = ANY(%s::regclass[]) AND NOT tgisinternal",
                                    (list(KIT_TABLES),)).fetchall())
        policies = set(conn.execute("SELECT polrelid::regclass::text, polname FROM pg_policy"
                                    " WHERE polrelid = ANY(%s::regclass[])", (list(KIT_TABLES),)).fetchall())
    assert (sorted(triggers - declared_triggers), sorted(policies - declared_policies)) == ([], [])
    assert (triggers, policies) == (declared_triggers, declared_policies)


def test_the_next_preview_after_adoption_changes_nothing(adopted):
    adopted.require_adopted()
    run = run_engine(lambda: adopted.stack.preview(expect_no_changes=True, diff=True))
    assert run.ok, run.errors()


def test_the_audit_passes_on_the_adopted_database(adopted):
    """`make test-policies` with POLICY_TEST_DSN: the whole policy suite against the adopted database."""
    adopted.require_adopted()
    python = ROOT / ".venv/bin/python"
    env = {**os.environ, "POLICY_TEST_DSN": adopted.legacy.dsn,
           "POLICY_TEST_AUTHENTICATOR_DSN": adopted.legacy.actor_dsn, "HYPOTHESIS_PROFILE": "mutants"}
    command = [str(python if python.exists() else sys.executable), "-m", "pytest", "tests/policy", "-x", "-q",
               "-p", "no:cacheprovider"]
    try:
        audit = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                               timeout=AUDIT_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired as timeout:
        output = (timeout.stdout or b"").decode() if isinstance(timeout.stdout, bytes) else (timeout.stdout or "")
        pytest.fail(f"the audit did not finish in {AUDIT_TIMEOUT_SECONDS} s; its output so far:\n{output[-3000:]}",
                    pytrace=False)
    assert audit.returncode == 0, "\n".join((audit.stdout + audit.stderr).strip().splitlines()[-40:])


# --- another shape of the same migration ---------------------------------------------------------------------------

def test_a_variant_of_the_migration_is_adopted_too():
    """timestamp columns, varchar names, bigint durations, an extra policy and trigger, other helper signatures. On
    the users' profile only (the base shape runs on both; this adds ~30 s per profile)."""
    with legacy_stack(Cluster.start("supabase"), shape="variant") as (legacy, stack):
        before = observe(legacy.dsn)
        up = run_engine(stack.up)
        fail_unless_passed(up, "the adopting up of the variant")
        problems = []
        with psycopg.connect(legacy.dsn) as conn:
            if legacy_db.history_fingerprint(conn) != before.history:
                problems.append("the history changed")
            mismatches = legacy_db.counter_mismatches(conn)
            if mismatches:
                problems.append(f"{len(mismatches)} jobs' counters differ from their history")
            leftovers = conn.execute(
                "SELECT 'policy ' || polname FROM pg_policy WHERE polname = 'scheduled_jobs_select_own'"
                " UNION ALL SELECT 'trigger ' || tgname FROM pg_trigger WHERE tgname = 'scheduled_jobs_notify_failure'"
                " UNION ALL SELECT 'function ' || oid::regprocedure::text FROM pg_proc"
                " WHERE proname = 'get_job_execution_stats'"
                " AND pg_get_function_identity_arguments(oid) NOT LIKE '%text, %timestamp with time zone'"
            ).fetchall()
            problems += [f"left in place: {what}" for (what,) in leftovers]
            conn.execute("SET ROLE service_role")
            try:
                conn.execute("SELECT * FROM public.get_job_execution_stats('hourly-sync')").fetchall()
            except psycopg.Error as error:
                problems.append(f"the seed's one-argument call fails: {str(error).strip().splitlines()[0]}")
        after = run_engine(lambda: stack.preview(expect_no_changes=True))
        if not after.ok:
            problems.append(f"the next preview is not empty:\n{after.errors()}")
        assert not problems, "\n".join(problems)


# --- what today's failed ups left behind ---------------------------------------------------------------------------

def test_a_stray_rollups_row_does_not_stop_the_rollups_being_built_from_the_history(gateway):
    """The issue's case: a failed up left job_execution_rollups created and empty, with Supabase's default privileges,
    and one row written there through the API made the next up skip building the rollups (built only when the table
    is empty), so the statistics reported 2 executions for a job with hundreds. On the users' profile only."""
    cluster = Cluster.start("supabase")
    with legacy_stack(cluster) as (legacy, stack):
        with psycopg.connect(legacy.dsn) as conn:  # the table as the failed up created it (the kit's own file)
            conn.execute((ROOT / "scheduler_kit/sql/model/job_execution_rollups.table.sql").read_text())
        with psycopg.connect(legacy.actor_dsn) as actor:
            written = attempt(actor, gateway, None,  # no token: PostgREST's anonymous role
                              "INSERT INTO public.job_execution_rollups (job_name, day, completed)"
                              " VALUES ('hourly-sync', current_date, 2)")
            assert written.ok, f"the leftover table should be writable through the API, as found: {written.message}"
            actor.commit()
        up = run_engine(stack.up)
        fail_unless_passed(up, "the adopting up")
        with psycopg.connect(legacy.dsn) as conn:
            conn.execute("SET ROLE service_role")
            problems = stats_mismatches(conn, None, None)
    assert not problems, "\n".join(problems[:10])
