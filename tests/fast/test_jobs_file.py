"""jobs.yaml validation: every problem names file, line, column, field and a fix; nothing else escapes."""

from __future__ import annotations

import string

import pytest
import yaml
from hypothesis import given, strategies as st

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
        (GOOD.replace('"0 9 * * 1"', '"0 25 * * 1"'), ["jobs.yaml:4:11: jobs[0].cron: '0 25 * * 1' is not a five-field cron"]),
        (GOOD.replace('"0 9 * * 1"', '"0 9 * * 1 2026"'), ["jobs.yaml:4:11: jobs[0].cron:"]),
        (GOOD.replace("weekly-digest\n", "Weekly_Digest\n"), ["jobs.yaml:2:11: jobs[0].name: 'Weekly_Digest' is not lower-case"]),
        (GOOD.replace("/api/jobs/weekly-digest", "api/jobs x"), ["jobs.yaml:6:15: jobs[0].endpoint:"]),
        (GOOD + "    enabled: yes please\n", ["jobs.yaml:9:14: jobs[0].enabled: expected boolean, got str"]),
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
