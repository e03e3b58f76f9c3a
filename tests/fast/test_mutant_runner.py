"""The mutation runner's judgement, without running pytest or a database: what counts as a kill in the JUnit XML,
how a catalogue entry is read, and that a pair whose old text is gone stops the run."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.mutants.run import CatalogueError, Mutant, apply_pairs, is_assertion, load_catalogue, nodeid, read_junit

JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" tests="9">
<testcase classname="tests.fast.test_gateway" name="test_passes"/>
<testcase classname="tests.fast.test_gateway" name="test_plain_assert"><failure message="assert 1 == 2">x</failure></testcase>
<testcase classname="tests.fast.test_gateway" name="test_raises"><failure message="Failed: DID NOT RAISE &lt;class 'TokenRejected'&gt;">x</failure></testcase>
<testcase classname="tests.fast.test_gateway" name="test_crash"><failure message="KeyError: 'x'">x</failure></testcase>
<testcase classname="tests.fast.test_gateway" name="test_timeout"><failure message="Failed: Timeout (&gt;1.0s) from pytest-timeout.">x</failure></testcase>
<testcase classname="tests.fast.test_gateway" name="test_health"><failure message="hypothesis.errors.FailedHealthCheck: filtering">x</failure></testcase>
<testcase classname="tests.fast.test_gateway" name="test_fixture"><error message="failed on setup with &quot;RuntimeError: broke&quot;">x</error></testcase>
<testcase classname="tests.fast.test_gateway" name="test_skipped"><skipped message="no"/></testcase>
<testcase classname="tests.fast.test_gateway" name="test_group"><failure message="ExceptionGroup: Hypothesis found 2 distinct failures. (2 sub-exceptions)">
  +-+---------------- 1 ----------------
    | ValueError: big
    +---------------- 2 ----------------
    | AssertionError: assert -10 &gt; -10
</failure></testcase>
</testsuite></testsuites>"""


def test_only_assertion_failures_kill(tmp_path):
    report = tmp_path / "junit.xml"
    report.write_text(JUNIT)
    ran, killers, first, problems = read_junit(report)
    assert ran == 8
    assert [k.split("::")[1] for k in killers] == ["test_plain_assert", "test_raises", "test_group"]
    assert first == "assert 1 == 2"
    assert [p.split(":")[0] for p in problems] == ["failure in tests/fast/test_gateway.py"] * 3 + [
        "error in tests/fast/test_gateway.py"]


def test_a_missing_report_is_a_problem_not_a_kill(tmp_path):
    assert read_junit(tmp_path / "absent.xml")[1:3] == ([], "")


@pytest.mark.parametrize("message, kill", [
    ("assert x", True), ("AssertionError: boom", True), ("Failed: DID NOT RAISE ValueError", True),
    ("Failed: Timeout (>1200.0s) from pytest-timeout.", False), ("psycopg.errors.InvalidParameterValue: role", False),
    ("hypothesis.errors.FlakyFailure: Hypothesis test_x produces unreliable results", False),
])
def test_is_assertion(message, kill):
    assert is_assertion(message, "") is kill


def test_node_ids_come_back_from_junit_classnames():
    assert nodeid("tests.fast.test_gateway", "test_x[a.b]") == "tests/fast/test_gateway.py::test_x[a.b]"
    assert nodeid("tests.policy.test_trigger_stateful.TestMachine", "runTest") == \
        "tests/policy/test_trigger_stateful.py::TestMachine::runTest"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalogue.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_the_three_kinds_and_the_test_selection(tmp_path):
    mutants = load_catalogue(write(tmp_path, """
        mutants:
          - {name: a, description: sql, sql: SELECT 1}
          - {name: b, description: model, replace: [[old, new]]}
          - {name: c, description: gateway, source: scheduler_kit/gateway.py, replace: [[old, new]],
             tests: [tests/fast/test_gateway.py]}
        """))
    assert [(m.kind, m.tests, m.needs_own_database) for m in mutants] == [
        ("sql", ("tests/policy",), True), ("replace", ("tests/policy",), True),
        ("source", ("tests/fast/test_gateway.py",), False)]


@pytest.mark.parametrize("entry, complaint", [
    ("{name: a, description: d}", "needs `sql`, `replace` or `source`"),
    ("{name: a, description: d, sql: x, sourc: y}", "unknown keys ['sourc']"),
    ("{name: a, sql: x}", "`description` is required"),
    ("{name: a, description: d, source: scheduler_kit/nope.py, replace: [[a, b]]}", "must name a file of the kit"),
    ("{name: a, description: d, source: scheduler_kit/gateway.py}", "needs `replace` pairs"),
    ("{name: a, description: d, replace: [[a]]}", "[old, new] string pairs"),
    ("{name: a, description: d, sql: x, tests: []}", "`tests` must be a non-empty list"),
])
def test_bad_entries_are_refused_with_the_place_and_the_fix(tmp_path, entry, complaint):
    with pytest.raises(CatalogueError) as refused:
        load_catalogue(write(tmp_path, f"mutants:\n  - {entry}\n"))
    assert complaint in str(refused.value) and "catalogue.yaml: mutant 1" in str(refused.value)


def test_a_pair_whose_old_text_is_gone_stops_the_run():
    mutant = Mutant(name="m", description="d", replace=(("absent", "x"),), where="cat.yaml: mutant 1 (m)")
    with pytest.raises(CatalogueError, match=r"cat.yaml: mutant 1 \(m\): 'absent'... no longer occurs in the file"):
        apply_pairs("present", mutant, "the file")
    assert apply_pairs("absent!", mutant, "the file") == "x!"


def test_the_shipped_catalogues_load():
    root = Path(__file__).resolve().parents[1] / "mutants"
    for path in (root / "catalogue.yaml", root / "gateway_mutants.yaml"):
        assert load_catalogue(path)
