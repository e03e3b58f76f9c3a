"""jobs.yaml validation: every problem names file, line, column, field and a fix; nothing else escapes."""

from __future__ import annotations

import string

import jsonschema as _jsonschema
import pytest
import yaml
from hypothesis import given, settings as _settings, strategies as st

from scheduler_kit import jobs_file as _jobs_file
from scheduler_kit.cron import matches_grammar
from scheduler_kit.jobs_file import JobsFileError, load_jobs, validate_text
from tests.support.toolchain import ROOT

GOOD = """\
jobs:
  - name: weekly-digest
    display_name: Weekly Digest Email
    cron: "0 9 * * 1"
    service: email-service
    endpoint: /api/jobs/weekly-digest
    config:
      batchSize: 100
"""


def problems(text: str) -> list[str]:
    with pytest.raises(JobsFileError) as error:
        validate_text(text, "jobs.yaml")
    return [str(p) for p in error.value.problems]


def test_the_shipped_file_is_valid():
    jobs = load_jobs(ROOT / "jobs.yaml")
    assert len(jobs) >= 3 and len({j.name for j in jobs}) == len(jobs)


def test_a_good_document_gives_defaults():
    (job,) = validate_text(GOOD)
    assert job.enabled is True and job.config == {"batchSize": 100} and job.description is None


@pytest.mark.parametrize(
    "text, expected",
    [
        (GOOD.replace("    cron:", "    crn:"), ["jobs.yaml:4:5: jobs[0].crn: unknown field 'crn'; fix: did you mean 'cron'?"]),
        (GOOD.replace('"0 9 * * 1"', '"0 25 * * 1"'), ["jobs.yaml:4:11: jobs[0].cron: '0 25 * * 1': hour 25 is out of range 0-23"]),
        (GOOD.replace('"0 9 * * 1"', '"0 9 * * 1 2026"'), ["jobs.yaml:4:11: jobs[0].cron:"]),
        (GOOD.replace("weekly-digest\n", "Weekly_Digest\n"), ["jobs.yaml:2:11: jobs[0].name: 'Weekly_Digest' is not lower-case"]),
        (GOOD.replace("/api/jobs/weekly-digest", "api/jobs x"), ["jobs.yaml:6:15: jobs[0].endpoint:"]),
        (GOOD + "    enabled: yes please\n", ["jobs.yaml:9:14: jobs[0].enabled: expected true or false, got the string 'yes please'"]),
        (GOOD + GOOD[6:], ["jobs.yaml:9:11: jobs[1].name: job name 'weekly-digest' is already used by jobs[0]"]),
        (GOOD + "    service: other\n", ["jobs.yaml:9:5: jobs[0].service: duplicate key 'service' (first at line 5)"]),
        (GOOD.replace("      batchSize: 100", "      when: 2026-01-01"), ["jobs.yaml:8:13: jobs[0].config.when: is a YAML date"]),
        (GOOD.replace("      batchSize: 100", "      ratio: .nan"), ["jobs.yaml:8:14: jobs[0].config.ratio: nan is not a JSON number"]),
        (GOOD.replace("      batchSize: 100", "      1: x"), ["jobs.yaml:8:7: jobs[0].config: key '1' is not a string"]),
        ("jobs:\n  - &a {name: x}\n  - *a\n", ["aliases are not allowed"]),
        ("jobs: [\n  - name: x", ["jobs.yaml:2:3: (file): not valid YAML"]),
        ("", ["the file is empty"]),
        ("jobs:\n  - name: x\n", ["'cron' is a required property"]),
        ("jobz: []\n", ["unknown field 'jobz'; fix: did you mean 'jobs'?"]),
    ],
)
def test_problems_are_located_and_explained(text, expected):
    found = problems(text)
    for fragment in expected:
        assert any(fragment in line for line in found), (fragment, found)


def test_every_problem_in_a_file_is_reported_at_once():
    text = GOOD.replace("    cron:", "    crn:").replace("/api/jobs/weekly-digest", "nope nope")
    assert len(problems(text)) >= 2


def test_a_huge_file_is_refused():
    assert "larger than" in problems("jobs:\n" + "#" * (1024 * 1024 + 1))[0]


def test_huge_config_is_refused():
    text = GOOD.replace("      batchSize: 100", "      blob: " + "x" * 70000)
    assert any("more than 65536" in p for p in problems(text))


# --- Hypothesis: broken documents never escape as anything but JobsFileError --------------------------------------

VALID_JOB = yaml.safe_load(GOOD)["jobs"][0]
odd_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
odd_values = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), odd_text,
    st.lists(odd_text, max_size=3), st.dictionaries(odd_text, odd_text, max_size=3),
)


@st.composite
def broken_documents(draw) -> str:
    kind = draw(st.sampled_from(["field", "extra", "raw", "unicode"]))
    job = dict(VALID_JOB)
    if kind == "field":
        job[draw(st.sampled_from(sorted(job) + ["enabled", "config", "description"]))] = draw(odd_values)
    elif kind == "extra":
        job[draw(odd_text)] = draw(odd_values)
    elif kind == "unicode":
        job[draw(st.sampled_from(["name", "display_name", "description", "endpoint", "cron", "service"]))] = draw(odd_text)
    if kind == "raw":
        return draw(st.text(alphabet=string.printable + "\u00e9\u4e2d\U0001f600\x00\x07", max_size=300))
    try:
        return yaml.safe_dump({"jobs": [job]}, allow_unicode=True)
    except yaml.YAMLError:
        return "jobs: [ {name: broken"


@given(broken_documents())
def test_broken_documents_give_clear_errors_never_tracebacks(text):
    try:
        jobs = validate_text(text, "jobs.yaml")
    except JobsFileError as error:
        assert error.problems and all(str(p).startswith("jobs.yaml:") for p in error.problems)
        return
    for job in jobs:  # whatever passes must also pass the database's own checks
        assert matches_grammar(job.cron)
        assert job.endpoint.startswith("/") and job.name == job.name.lower()


# --- Cron: the field, the value and its range; macros ---------------------------------------------------------------

@pytest.mark.parametrize(
    "cron, message",
    [
        ("0 25 * * *", "hour 25 is out of range 0-23"),
        ("*/0 * * * *", "minute step /0 is out of range 1-99"),
        ("0 9 L * *", "day-of-month 'L' uses the Quartz extensions L, W or #"),
        ("0 9 ? * *", "day-of-month '?' is Quartz syntax, not five-field cron; use *"),
        ("0 9 * * 8", "day-of-week 8 is out of range 0-7"),
        ("0 9 * foo *", "month 'foo' is not a number 1-12 or a name (jan..dec)"),
        ("0 9 * * 1 2026", "has 6 fields, the kit accepts 5"),
        ("L", "has 1 field, the kit accepts 5 (minute hour day-of-month month day-of-week) or a macro"),
        ("@reboot", "'@reboot' is not a macro the kit accepts (accepted: @hourly, @daily, @weekly, @monthly, @yearly)"),
    ],
)
def test_cron_problems_name_the_field_the_value_and_the_range(cron, message):
    found = problems(GOOD.replace('"0 9 * * 1"', f'"{cron}"'))
    assert any(f"jobs[0].cron: {cron!r}: {message}" in line for line in found), found
    assert all("too short" not in line for line in found)


@pytest.mark.parametrize("macro, first_run", [("@hourly", "2026-01-01 01:00"), ("@daily", "2026-01-02 00:00"),
                                              ("@weekly", "2026-01-04 00:00"), ("@monthly", "2026-02-01 00:00"),
                                              ("@yearly", "2027-01-01 00:00")])
def test_cron_macros_are_accepted_and_described(macro, first_run):
    from datetime import datetime, timezone

    from scheduler_kit.jobs_file import describe_schedule

    (job,) = validate_text(GOOD.replace('"0 9 * * 1"', f'"{macro}"'))
    assert job.cron == macro and matches_grammar(macro.upper())
    _, runs = describe_schedule(macro, 1, datetime(2026, 1, 1, 0, 30, tzinfo=timezone.utc))
    assert runs[0].strftime("%Y-%m-%d %H:%M") == first_run


cron_like = st.lists(st.sampled_from(["*", "*/5", "0", "7", "59", "60", "24", "0-30", "1,2", "mon", "JAN", "L", "?",
                                      "*/0", "/5", "1-", "32", "13", "@daily", "@DAILY", "@often", ""]),
                     min_size=0, max_size=7).map(" ".join)


@given(cron_like)
def test_cron_explanation_agrees_with_the_grammar(expression):
    from scheduler_kit.cron import explain

    assert (explain(expression) is None) == matches_grammar(expression)


def test_the_schema_and_the_database_check_use_the_kit_cron_pattern():
    import json

    from scheduler_kit.cron import CRON_PATTERN
    from scheduler_kit.jobs_file import SCHEMA_PATH
    from scheduler_kit.db import literal, render
    from tests.support.plan import kit_plan

    schema = json.loads(SCHEMA_PATH.read_text())
    assert schema["$defs"]["job"]["properties"]["cron"]["pattern"] == CRON_PATTERN
    plan = kit_plan()
    (rules,) = [p.inputs.definition for p in plan if p.key == "function-scheduler_private.check_job_definition"]
    assert render("NEW.cron_expression OPERATOR(pg_catalog.~*) {{p}})", p=literal(CRON_PATTERN)) in rules


# --- Every problem in one run ---------------------------------------------------------------------------------------

def test_schema_errors_do_not_hide_cron_errors():
    text = ("jobs:\n"
            "  - {name: a, crn: '0 9 * * 1', service: s, endpoint: /a}\n"
            "  - {name: b, cron: '0 25 * * *', service: s, endpoint: /b}\n"
            "  - {name: c, cron: '0 9 31 2 *', service: S, endpoint: /c}\n")
    found = problems(text)
    assert any("jobs[0].crn: unknown field 'crn'" in p for p in found)
    assert any("jobs[1].cron: '0 25 * * *': hour 25 is out of range 0-23" in p for p in found)
    assert any("jobs[2].service:" in p for p in found)
    assert any("jobs[2].cron: '0 9 31 2 *' is not a valid schedule" in p for p in found), found


# --- YAML mistakes: placed where they are, with the usual fix ---------------------------------------------------------

@pytest.mark.parametrize(
    "text, expected",
    [
        ("jobs:\n\t- name: x\n", "jobs.yaml:2:1: (file): a tab character where YAML expects indentation or a value;"
                                 " fix: indent with spaces"),
        ('jobs:\n  - name: a\n    cron: "0 9 * * 1\n    service: s\n    endpoint: /a\n  - name: b\n'
         '    cron: "0 9 * * 1"\n    service: s\n    endpoint: /b\n',
         "jobs.yaml:3:11: (file): the double quote opened here is not closed on its line"),
        ("jobs:\n  - name: a\n    cron: */5 * * * *\n",
         'jobs.yaml:3:11: (file): an unquoted value starting with * is read as a YAML alias; fix: quote it, e.g. cron: "*/5 * * * *"'),
        ("jobs:\n  - name: a\n    cron: @daily\n", 'fix: quote it, e.g. cron: "@daily"'),
        ("jobs:\n", "jobs.yaml:1:6: jobs: is empty; fix: list the jobs under it"),
        (GOOD + "    enabled: yes\n", "jobs.yaml:9:14: jobs[0].enabled: 'yes' is read as a boolean (a YAML 1.1 rule)"
                                     " and is ambiguous; fix: write true"),
        (GOOD + "    enabled: off\n", "fix: write false"),
        (GOOD.replace("batchSize: 100", "dryRun: on"), "jobs[0].config.dryRun: 'on' is read as a boolean"),
    ],
)
def test_yaml_mistakes_are_placed_and_explained(text, expected):
    found = problems(text)
    assert any(expected in line for line in found), found
    assert not any("NoneType" in line for line in found)


def test_true_false_and_quoted_yes_are_fine():
    (job,) = validate_text(GOOD + "    enabled: false\n    description: \"yes\"\n")
    assert job.enabled is False and job.description == "yes"


# --- The provider applies the same rules to the data itself ---------------------------------------------------------

def test_characters_outside_the_bmp_pass_the_file_and_the_provider_alike():
    from scheduler_kit.jobs_file import JobDefinition
    from scheduler_kit.providers.job import JobProvider

    (job,) = validate_text(GOOD.replace("Weekly Digest Email", "Weekly Digest \U0001f916\U0001f4e7"))
    assert JobProvider().validate(job) == []
    bad = JobDefinition(name="a", cron="0 25 * * *", service="s", endpoint="/a", display_name="bell\x07")
    assert JobProvider().validate(bad) == ["cron: '0 25 * * *': hour 25 is out of range 0-23",
                                           "display_name: contains the control character U+0007"]


def test_the_database_calls_blank_what_str_strip_removes():
    """The not-blank rules' character set (check_job_definition) is exactly Python's whitespace, range by range."""
    from scheduler_kit.jobs_file import BLANK_RANGES, NOT_BLANK_PATTERN
    listed = {code for low, high in BLANK_RANGES for code in range(low, high + 1)}
    assert listed == {code for code in range(0x110000) if chr(code).isspace()}
    assert NOT_BLANK_PATTERN.startswith("[^\\u0009-\\u000d") and NOT_BLANK_PATTERN.endswith("\\u3000]")


# The direct schema check (jobs_file._passes_schema): never passes a document jsonschema finds a problem in, and
# passes every one it finds none in (so a valid file is checked without importing jsonschema).
_st = st

_TEXT = _st.one_of(_st.text(max_size=8), _st.sampled_from([
    "", "a", "weekly-digest", "a--b", "-a", "A", "x" * 100, "x" * 101, "/api/jobs/x", "/", "api", "/a b", "/é",
    "/x\n", "0 3 * * *", "@daily", "@Hourly", "61 * * * *", "*/15 * * * *", "0 0 31 2 *", "x" * 201, "d" * 2001]))
_VALUE = _st.one_of(_TEXT, _st.booleans(), _st.none(), _st.integers(), _st.floats(allow_nan=False),
                    _st.dictionaries(_st.text(max_size=3), _st.integers(), max_size=2), _st.lists(_st.integers(), max_size=2))
_FIELD = _st.sampled_from(["name", "display_name", "description", "cron", "enabled", "service", "endpoint", "config",
                           "unknown", "Name"])
_JOB = _st.one_of(
    _st.fixed_dictionaries({"name": _TEXT, "cron": _TEXT, "service": _TEXT, "endpoint": _TEXT},
                           optional={"display_name": _TEXT, "description": _TEXT, "enabled": _st.booleans(),
                                     "config": _st.dictionaries(_st.text(max_size=3), _VALUE, max_size=2)}),
    _st.dictionaries(_FIELD, _VALUE, max_size=8), _VALUE)
_DOCUMENT = _st.one_of(_st.fixed_dictionaries({"jobs": _st.lists(_JOB, max_size=3)}),
                       _st.dictionaries(_st.sampled_from(["jobs", "job", "extra"]), _st.one_of(_VALUE, _st.lists(_JOB, max_size=2)),
                                        max_size=2), _VALUE)


def test_the_direct_check_was_written_for_this_schema():
    """Edited jobs.schema.json? Update jobs_file._passes_schema to its keywords, then DIRECT_CHECK_SCHEMA to its
    SHA-256: until then every document goes through jsonschema (correct, only slower)."""
    assert _jobs_file._direct_check_applies()


@_settings(max_examples=3000, deadline=None)
@given(_DOCUMENT)
def test_the_direct_check_agrees_with_jsonschema(document):
    valid = not list(_jsonschema.Draft202012Validator(_jobs_file._schema()).iter_errors(document))
    assert _jobs_file._passes_schema(document) == valid


def test_the_direct_check_passes_valid_files_and_jsonschema_reports_the_rest():
    good = {"jobs": [{"name": "weekly-digest", "cron": "0 3 * * 1", "service": "mailer", "endpoint": "/api/jobs/x",
                      "display_name": "Digest", "description": "d", "enabled": False, "config": {"a": [1]}}]}
    assert _jobs_file._passes_schema(good)
    assert not _jobs_file._passes_schema({"jobs": [{**good["jobs"][0], "enabled": "yes"}]})
    assert not _jobs_file._passes_schema({"jobs": [{**good["jobs"][0], "cron": "61 * * * *"}]})
    assert not _jobs_file._passes_schema({"jobs": [good["jobs"][0]] * 1001})
