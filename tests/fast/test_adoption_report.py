"""The adoption report's logic on reports as sql/adopt/conform_table.function.sql returns them: which broken rules
refuse the deployment, which are kept NOT VALID, and what the preview prints (tests/adoption/ runs it for real)."""

from __future__ import annotations

from scheduler_kit.adoption import STATISTICS_RULES, AdoptionReport, describe_refusal, fix_for


def table_report(table: str, refusals: list[dict], changes: list[dict] | None = None) -> dict:
    return {"table": table, "exists": True, "rows": 1234, "changes": changes or [], "refusals": refusals,
            "not_valid": [], "kept": [{"kind": "index", "name": "idx_mine", "detail": "CREATE INDEX idx_mine ..."}]}


STATUS = {"rule": "scheduled_jobs_status_check", "definition": "CHECK (status ...)", "count": 3,
          "sample": ["a", "b", "c"], "by": "id", "can_defer": True}
DUPLICATES = {"rule": "job_schedules_job_name_key", "definition": "UNIQUE", "count": 1, "sample": ["x"],
              "by": "duplicate job_name", "can_defer": False}
COUNTERS = {"rule": "job_schedules_counters_add_up", "definition": "CHECK (...)", "count": 2, "sample": ["j"],
            "by": "job_name", "can_defer": True}


def test_by_default_every_broken_rule_refuses_in_one_message_with_rows_and_fix():
    report = AdoptionReport(statistics_kept=True, tables=[table_report("public.scheduled_jobs", [STATUS]),
                                                          table_report("public.job_schedules", [DUPLICATES])],
                            job_problems=["- public.job_schedules job_schedules_job_name_format [...]: 1 row"])
    assert len(report.refusals) == 3
    message = report.refusal_message()
    assert "break 3 of the kit's rules; nothing was changed" in message
    assert "scheduled_jobs_status_check" in message and "3 rows (id: a, b, c)" in message
    assert "UPDATE public.scheduled_jobs SET status = 'failed'" in message  # the rule's own fix
    assert "keepInvalidRows true" in message and report.not_valid == {}


def test_keeping_invalid_rows_keeps_only_historys_deferrable_rules():
    report = AdoptionReport(keep_invalid=True, statistics_kept=True,
                            tables=[table_report("public.scheduled_jobs", [STATUS]),
                                    table_report("public.job_schedules", [DUPLICATES, COUNTERS])],
                            job_problems=["- a job row"])
    assert report.not_valid == {"public.scheduled_jobs": ["scheduled_jobs_status_check"]}
    # Job rows are definitions every execution rewrites: never kept, whatever the setting (see DEFERRABLE_TABLES).
    refused = report.refusals
    assert len(refused) == 2 and any("job_name_key" in r for r in refused) and any("add_up" in r for r in refused)
    lines = "\n".join(report.lines())
    assert "not yet validated" in lines and "scheduled_jobs_status_check" in lines
    assert "a job row" in lines  # kept job rows are still named on every preview


def test_statistics_rules_wait_for_the_recount_while_the_kit_does_not_keep_the_statistics():
    assert COUNTERS["rule"] in STATISTICS_RULES
    taking_over = AdoptionReport(statistics_kept=False, tables=[table_report("public.job_schedules", [COUNTERS])])
    assert taking_over.refusals == [] and taking_over.not_valid == {}
    assert any("validated by the take-over" in line for line in taking_over.lines())
    kept = AdoptionReport(statistics_kept=True, tables=[table_report("public.job_schedules", [COUNTERS])])
    assert len(kept.refusals) == 1


def test_the_preview_names_adopted_tables_once_and_steady_state_prints_nothing():
    adopting = AdoptionReport(statistics_kept=False, tables=[table_report(
        "public.scheduled_jobs", [], [{"kind": "add column", "name": "created_at", "detail": "timestamptz"}])])
    text = "\n".join(adopting.lines())
    assert "adopt table public.scheduled_jobs (1,234 rows, kept as they are)" in text
    assert "+ add column created_at: timestamptz" in text and "keep index idx_mine" in text
    steady = AdoptionReport(statistics_kept=True, tables=[table_report("public.scheduled_jobs", [])])
    assert steady.lines() == []  # what the kit left as it found it is said once, when it adopted the table


def test_fixes_fall_back_by_rule_kind():
    assert fix_for("public.job_schedules", "job_schedules_cron_expression_not_null").startswith(
        "UPDATE public.job_schedules SET cron_expression = <a value> WHERE cron_expression IS NULL")
    assert "USING" in fix_for("public.scheduled_jobs", "scheduled_jobs_id_type")
    assert "duration_ms" in fix_for("public.scheduled_jobs", "scheduled_jobs_duration_ms_fits_integer")
    line = describe_refusal("public.scheduled_jobs", {**STATUS, "count": 12})
    assert "12 rows (id: a, b, c, ...)" in line
