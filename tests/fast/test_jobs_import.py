"""jobs import: a jobs.yaml from job rows, valid by the kit's validator, with a comment on every value it changed;
and the per-field changes a deploy of jobs.yaml makes to rows that exist."""

from __future__ import annotations

import json
import random
import subprocess

import pytest
from hypothesis import given, settings, strategies as st

import scheduler_kit.jobs_cli as cli
from scheduler_kit.jobs_file import JobDefinition, load_jobs, validate_text
from scheduler_kit.jobs_import import NOTE, PLACEHOLDER_CRON, import_jobs, job_field_changes
from tests.support.toolchain import ROOT


def row_of(job: JobDefinition, **overrides) -> dict:
    """The row the Job provider writes for `job` (scheduler_kit/sql/job/upsert.sql), with overrides."""
    return {"job_name": job.name, "display_name": job.display_name, "description": job.description,
            "cron_expression": job.cron, "enabled": job.enabled, "service": job.service, "endpoint": job.endpoint,
            "config": job.config, "retired_at": None, "total_runs": 3, **overrides}


def good_row(name="weekly-digest", **overrides) -> dict:
    return row_of(JobDefinition(name=name, cron="0 9 * * 1", service="email-service", endpoint=f"/api/jobs/{name}",
                                display_name="Weekly Digest"), **overrides)


def line_of(text: str, key: str, job_name: str) -> str:
    """The line of `key` in the entry of job `job_name`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"  - name: {job_name}"))
    for line in lines[start:]:
        if line.lstrip("- ").startswith(f"{key}:") or line.strip().startswith(f"{NOTE} {key}:"):
            return line
        if line == "":
            break
    raise AssertionError(f"no {key} line for {job_name} in:\n{text}")


# --- round trip and style ----------------------------------------------------------------------------------------

def test_a_database_deployed_from_jobs_yaml_imports_to_the_same_jobs():
    jobs = load_jobs(ROOT / "jobs.yaml")
    result = import_jobs([row_of(job) for job in jobs], "postgres@db:5432/postgres")
    assert result.faithful and not result.left_out and not result.retired
    assert validate_text(result.text) == sorted(jobs, key=lambda j: j.name)
    assert result.text.splitlines()[0] == "# yaml-language-server: $schema=./jobs.schema.json"
    assert [line for line in result.text.splitlines() if NOTE in line] == []
    assert job_field_changes([row_of(job) for job in jobs], validate_text(result.text)) == []


def test_keys_in_the_schema_order_cron_in_quotes_config_as_a_mapping():
    jobs = load_jobs(ROOT / "jobs.yaml")
    text = import_jobs([row_of(job) for job in jobs]).text
    entry = text.split("  - name: weekly-digest\n", 1)[1].split("\n\n", 1)[0]
    assert entry.splitlines() == [
        "    display_name: Weekly Digest Email", "    description: Sends the weekly digest to subscribers",
        '    cron: "0 9 * * 1"', "    enabled: true", "    service: email-service",
        "    endpoint: /api/jobs/weekly-digest", "    config:", "      batchSize: 100", "      maxEmails: 10000"]
    assert "      tables: [events, sessions]" in text


def test_output_is_sorted_by_name_and_does_not_depend_on_the_rows_order():
    rows = [good_row(name) for name in ("zeta", "alpha", "mid-job")] + [good_row("gone", retired_at="2026-01-01"),
                                                                        good_row("blank", service="")]
    texts = set()
    for seed in range(5):
        random.Random(seed).shuffle(rows)
        texts.add(import_jobs(rows).text)
    (text,) = texts
    assert [job.name for job in validate_text(text)] == ["alpha", "mid-job", "zeta"]
    assert text.index("name: alpha") < text.index("'blank'") < text.index("'gone'") < text.index("name: mid-job")


def test_no_rows_gives_an_empty_valid_file():
    text = import_jobs([]).text
    assert "jobs: []" in text and validate_text(text) == []


_jsonb_text = st.text(st.characters(blacklist_characters="\x00"), max_size=8)  # jsonb cannot hold NUL
_json = st.recursive(st.none() | st.booleans() | st.integers(-10**15, 10**15) | _jsonb_text
                     | st.floats(allow_nan=False, allow_infinity=False),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_jsonb_text, inner, max_size=3),
                     max_leaves=8)
# A description may hold newlines and tabs, no other control character (the kit's rule).
_description = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40).filter(
    lambda s: all(c in "\n\t" or not (ord(c) < 32 or 127 <= ord(c) < 160) for c in s))
_text = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=30)


# Fewer examples than the profile's: each one parses YAML twice in pure Python (about 50 ms).
@settings(max_examples=30)
@given(display_name=st.none() | _text, description=st.none() | _description,
       config=st.dictionaries(_jsonb_text, _json, max_size=4), enabled=st.booleans())
def test_any_valid_row_is_imported_as_it_is(display_name, description, config, enabled):
    # YAML's traps (yes, 123, "a: b", "# x", emoji, newlines, numbers as strings) must load back unchanged.
    row = good_row(display_name=display_name, description=description, config=config, enabled=enabled)
    result = import_jobs([row])
    assert result.faithful, result.text
    (job,) = validate_text(result.text)
    assert (job.display_name, job.description, job.config, job.enabled) == (display_name, description, config, enabled)


_junk = st.one_of(st.none(), st.text(max_size=12), st.integers(), st.booleans(), _json)


@settings(max_examples=30)
@given(st.lists(st.fixed_dictionaries({
    "job_name": _junk, "display_name": _junk, "description": _junk,
    "cron_expression": _junk | st.sampled_from(["@daily", "0 9 * * 1", "0 25 * * *", "* * * * * *"]),
    "enabled": _junk, "service": _junk, "endpoint": _junk | st.just("/x"), "config": _junk,
    "retired_at": st.none() | st.just("2026-01-01")}), max_size=4))
def test_whatever_the_rows_hold_the_import_is_a_valid_file(rows):
    result = import_jobs(rows)  # never raises
    assert [job.name for job in validate_text(result.text)] == [item.job.name for item in result.jobs]
    assert len(result.jobs) + len(result.left_out) + len(result.retired) == len(rows)


def test_two_rows_of_one_name_keep_the_first_and_leave_the_other_out():
    result = import_jobs([good_row(), good_row(endpoint="/other")])  # a table without the unique index
    assert len(validate_text(result.text)) == 1 and "held by another row too" in result.left_out[0].reason


# --- every value the importer has to change -------------------------------------------------------------------------

CHANGED = [
    # (overrides, the job's name in the file, the field, its value in the file, words the comment must hold)
    ({"job_name": "Weekly_Digest"}, "weekly-digest", "name", "weekly-digest", ["'Weekly_Digest'", "rename the row"]),
    ({"cron_expression": None}, "weekly-digest", "cron", PLACEHOLDER_CRON, ["NULL", "placeholder"]),
    ({"cron_expression": "0 25 * * *"}, "weekly-digest", "cron", PLACEHOLDER_CRON, ["'0 25 * * *'", "hour 25"]),
    ({"cron_expression": "0 9 31 2 *"}, "weekly-digest", "cron", PLACEHOLDER_CRON, ["'0 9 31 2 *'", "refuses"]),
    ({"cron_expression": "  "}, "weekly-digest", "cron", PLACEHOLDER_CRON, ["'  '", "needs a schedule"]),
    ({"enabled": None}, "weekly-digest", "enabled", False, ["NULL", "WHERE enabled"]),
    ({"service": "Email_Service"}, "weekly-digest", "service", "email-service", ["'Email_Service'"]),
    ({"endpoint": "api/jobs/x"}, "weekly-digest", "endpoint", "/api/jobs/x", ["'api/jobs/x'", "starting with /"]),
    ({"config": [1, 2]}, "weekly-digest", "config", {}, ["[1, 2]", "not a JSON object"]),
    ({"config": "plain text"}, "weekly-digest", "config", {}, ["'plain text'", "not a JSON object"]),
    ({"config": None}, "weekly-digest", "config", {}, ["NULL"]),
    ({"config": '{"batch": 5}'}, "weekly-digest", "config", {"batch": 5}, ["as text"]),
    ({"display_name": ""}, "weekly-digest", "display_name", None, ["''", "writes NULL"]),
    ({"display_name": "Bell\x07 job"}, "weekly-digest", "display_name", "Bell job", ["control characters"]),
    ({"description": "x" * 2500}, "weekly-digest", "description", "x" * 2000, ["2000 characters"]),
]


@pytest.mark.parametrize("overrides, name, field, value, words", CHANGED, ids=[str(c[0])[:40] for c in CHANGED])
def test_a_value_that_had_to_change_is_written_valid_with_a_comment_on_its_line(overrides, name, field, value, words):
    result = import_jobs([good_row(**overrides)])
    (job,) = validate_text(result.text)  # the kit's own validator accepts the file
    assert getattr(job, field) == value
    line = line_of(result.text, field, name)
    assert NOTE in line and all(word in line for word in words), line
    assert [note.field for _, note in result.changed][:1] == [field] and not result.faithful


def test_a_placeholder_schedule_disables_the_job_and_says_so():
    result = import_jobs([good_row(cron_expression=None, enabled=True)])
    (job,) = validate_text(result.text)
    assert (job.cron, job.enabled) == (PLACEHOLDER_CRON, False)
    assert "placeholder" in line_of(result.text, "enabled", "weekly-digest")


def test_a_disabled_job_with_a_placeholder_schedule_has_no_comment_on_enabled():
    result = import_jobs([good_row(cron_expression=None, enabled=False)])
    assert NOTE not in line_of(result.text, "enabled", "weekly-digest")


LEFT_OUT = [
    ({"service": ""}, "weekly-digest", "service is ''"),
    ({"service": None}, "weekly-digest", "service is NULL"),
    ({"endpoint": "   "}, "weekly-digest", "endpoint is '   '"),
    ({"endpoint": "https://elsewhere.example/run"}, "weekly-digest", "is not a path"),
    ({"job_name": None, "id": "2f1c"}, "", "no job_name"),
    ({"job_name": "___"}, "___", "no letters or digits"),
    ({"config": {"deep": json.loads("[" * 25 + "]" * 25)}}, "weekly-digest", "nests deeper"),
]


@pytest.mark.parametrize("overrides, label, reason", LEFT_OUT, ids=[str(c[0])[:40] for c in LEFT_OUT])
def test_a_row_that_cannot_be_made_valid_is_a_comment_block_naming_the_fix(overrides, label, reason):
    result = import_jobs([good_row(**overrides), good_row("other")])
    assert [job.name for job in validate_text(result.text)] == ["other"]
    (left,) = result.left_out
    assert left.label == label and reason in left.reason
    block = [line for line in result.text.splitlines() if line.startswith("  #")]
    assert any("left out" in line and reason in line for line in block)
    assert any(line.startswith(f"  {NOTE} fix: ") for line in block)
    assert any(line.startswith("  #   cron_expression: '0 9 * * 1'") for line in block)  # the row, for reference


def test_a_name_that_normalises_to_another_rows_name_is_left_out():
    result = import_jobs([good_row("weekly-digest"), good_row("Weekly_Digest", cron_expression="0 10 * * 1")])
    (job,) = validate_text(result.text)
    assert (job.name, job.cron) == ("weekly-digest", "0 9 * * 1")
    assert "already uses" in result.left_out[0].reason and result.left_out[0].label == "Weekly_Digest"


def test_a_retired_row_is_left_out_with_a_comment():
    result = import_jobs([good_row("old-job", enabled=False, retired_at="2026-01-02T03:04:05+00:00"), good_row()])
    assert [job.name for job in validate_text(result.text)] == ["weekly-digest"]
    assert result.retired == ["old-job"] and result.faithful
    assert any(line.startswith(f"  {NOTE} 'old-job' is retired (retired_at '2026-01-02T03:04:05+00:00')")
               for line in result.text.splitlines())


def test_the_header_counts_what_was_changed_and_left_out():
    result = import_jobs([good_row(enabled=None, config=None), good_row("x", service=""),
                          good_row("y", retired_at="2026-01-01")], "u@h:1/d (sslmode=prefer)")
    assert "from u@h:1/d (sslmode=prefer): 1 job(s);" in result.text
    assert "# 2 value(s) changed to fit the kit's rules and 1 row(s) left out" in result.text
    assert "# 1 retired row(s) not listed." in result.text


# --- what a deploy changes ------------------------------------------------------------------------------------------

def job(name="weekly-digest", **overrides) -> JobDefinition:
    fields = dict(name=name, cron="0 9 * * 1", service="email-service", endpoint=f"/api/jobs/{name}",
                  display_name="Weekly Digest")
    return JobDefinition(**{**fields, **overrides})


def test_first_deploy_the_file_wins_on_every_field_admin_fields_included():
    rows = [good_row(cron_expression="0 9 * * 1", enabled=False, endpoint="/old")]
    lines = [str(c) for c in job_field_changes(rows, [job(cron="0 10 * * 1")])]
    assert lines == [
        "job weekly-digest: cron_expression '0 9 * * 1' -> '0 10 * * 1' (jobs.yaml wins: the deploy adopts the row;"
        " run make jobs-import to keep the database's value)",
        "job weekly-digest: enabled false -> true (jobs.yaml wins: the deploy adopts the row; run make jobs-import"
        " to keep the database's value)",
        "job weekly-digest: endpoint '/old' -> '/api/jobs/weekly-digest' (jobs.yaml wins: the deploy adopts the row;"
        " run make jobs-import to keep the database's value)",
    ]


def test_first_deploy_leaves_rows_the_file_does_not_list_and_new_jobs_are_not_changes():
    changes = job_field_changes([good_row("unlisted"), good_row("gone", retired_at="2026-01-01")], [job("brand-new")])
    assert [(c.job, c.column) for c in changes] == [("unlisted", None)]
    assert "leaves the row as it is" in str(changes[0])


def test_null_and_json_strings_are_changes_not_equal_values():
    changes = job_field_changes([good_row(enabled=None, config='{"a": 1}')], [job(config={"a": 1}, enabled=False)])
    assert [(c.column, c.old, c.new) for c in changes] == [("enabled", None, False), ("config", '{"a": 1}', {"a": 1})]


def test_a_deployed_job_keeps_an_admins_schedule_unless_the_file_changed_it():
    deployed = {"weekly-digest": job().as_dict()}
    admin_changed = [good_row(cron_expression="*/15 * * * *", enabled=False)]
    assert job_field_changes(admin_changed, [job()], deployed) == []
    (change,) = job_field_changes(admin_changed, [job(cron="0 11 * * 1")], deployed)
    assert (change.column, change.old, change.new) == ("cron_expression", "*/15 * * * *", "0 11 * * 1")
    assert "jobs.yaml changed it since the last deploy" in change.why


def test_a_deployed_job_missing_from_the_file_is_retired_and_a_retired_row_listed_comes_back():
    deployed = {"weekly-digest": job().as_dict(), "old": job("old").as_dict()}
    changes = job_field_changes([good_row(), good_row("old", retired_at="2026-01-01", enabled=False)],
                                [job("old")], deployed)
    text = [str(c) for c in changes]
    assert any(line.startswith("job old: retired_at '2026-01-01' -> NULL (the retired job comes back") for line in text)
    assert "job weekly-digest: not in jobs.yaml: the deploy retires it" in text[-1]


def test_drift_on_a_deployed_job_is_named_as_drift():
    (change,) = job_field_changes([good_row(endpoint="/hand-edit")], [job()], {"weekly-digest": job().as_dict()})
    assert change.column == "endpoint" and "drift" in change.why


# --- the command ----------------------------------------------------------------------------------------------------

def _pulumi_config(password: str):
    def run(*args):
        assert args[:3] == ("config", "--json", "--show-secrets")
        values = {"scheduler-kit:host": {"value": "db.example", "secret": False},
                  "scheduler-kit:port": {"value": "6543", "secret": False},
                  "scheduler-kit:database": {"value": "app", "secret": False},
                  "scheduler-kit:password": {"value": password, "secret": True},
                  "aws:region": {"value": "x", "secret": False}}
        return subprocess.CompletedProcess(args, 0, json.dumps(values), "")
    return run


def test_import_with_a_stack_reads_its_settings_and_never_prints_the_password(tmp_path, monkeypatch, capsys):
    seen = {}

    def rows(settings):
        seen["settings"] = settings
        return [good_row(), good_row("Bad_Name")]

    monkeypatch.setattr(cli, "_pulumi", _pulumi_config("s3cret-pw"))
    monkeypatch.setattr("scheduler_kit.job_rows.read_job_rows", rows)
    out = tmp_path / "jobs.yaml"
    assert cli.main(["import", "--stack", "staging", "-o", str(out)]) == 0
    assert cli.main(["import", "--stack", "staging", "-o", str(tmp_path / "b.yaml"), "--strict"]) == cli.EXIT_CHANGES
    settings = seen["settings"]
    assert (settings.host, settings.port, settings.database) == ("db.example", 6543, "app")
    assert settings.password == "s3cret-pw"
    printed = capsys.readouterr()
    assert "s3cret-pw" not in printed.out + printed.err + out.read_text()
    assert "wrote" in printed.err and "changed: job bad-name: name:" in printed.err
    assert [j.name for j in load_jobs(out)] == ["bad-name", "weekly-digest"]


def test_import_refuses_to_overwrite_unless_forced_and_can_print(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "_pulumi", _pulumi_config("pw"))
    monkeypatch.setattr("scheduler_kit.job_rows.read_job_rows", lambda settings: [good_row()])
    out = tmp_path / "jobs.yaml"
    out.write_text("mine\n")
    assert cli.main(["import", "-o", str(out)]) == cli.EXIT_ERROR
    assert out.read_text() == "mine\n" and "was not overwritten; give --force" in capsys.readouterr().err
    assert cli.main(["import", "-o", "-"]) == 0
    assert "  - name: weekly-digest" in capsys.readouterr().out
    assert cli.main(["import", "-o", str(out), "--force"]) == 0
    assert [j.name for j in load_jobs(out)] == ["weekly-digest"]


def test_a_bad_dsn_is_one_line_without_the_password(tmp_path, capsys):
    assert cli.main(["import", "--dsn", "host=x password=hunter2 nonsense", "-o", str(tmp_path / "j.yaml")]) == 3
    err = capsys.readouterr().err
    assert "hunter2" not in err and "--dsn is not a libpq connection string" in err
    assert not (tmp_path / "j.yaml").exists()


def test_an_output_that_cannot_be_written_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "_pulumi", _pulumi_config("pw"))
    monkeypatch.setattr("scheduler_kit.job_rows.read_job_rows", lambda settings: [good_row()])
    assert cli.main(["import", "-o", str(tmp_path / "missing-dir" / "jobs.yaml")]) == cli.EXIT_ERROR
    assert "cannot write" in capsys.readouterr().err and not (tmp_path / "missing-dir").exists()
