"""make lint's pgrls step: findings against the allowlist (allowed, new, stale) and the allowlist's own rules."""

import json

import pytest
import yaml

from scheduler_kit import pgrls_lint
from scheduler_kit.pgrls_lint import AllowlistError, Finding, findings_of, match, parse_allowlist

ALLOWLIST = [
    {"rule": "SEC016", "locations": ["service_role"], "reason": "the service bypasses RLS on purpose"},
    {"rule": "SEC023", "locations": ["public.*.*_service", "public.t.gone_policy"], "reason": "TO service_role"},
]


def test_an_allowlisted_finding_passes_and_each_location_must_still_match_one():
    findings = [Finding("SEC016", "service_role"), Finding("sec023", "public.jobs.jobs_insert_service")]
    outcome = match(findings, parse_allowlist(ALLOWLIST))
    assert [f.location for f, _ in outcome.allowed] == ["service_role", "public.jobs.jobs_insert_service"]
    assert outcome.new == []
    assert [(a.rule, a.pattern) for a in outcome.stale] == [("SEC023", "public.t.gone_policy")]
    assert not outcome.ok


def test_a_finding_of_another_rule_or_location_is_new_and_fails():
    findings = [Finding("SEC016", "service_role"), Finding("SEC016", "authenticator"),
                Finding("SEC023", "public.t.gone_policy"), Finding("SEC023", "public.jobs.x_service"),
                Finding("SEC008", "public.jobs.x_service")]
    outcome = match(findings, parse_allowlist(ALLOWLIST))
    assert [(f.rule, f.location) for f in outcome.new] == [("SEC016", "authenticator"),
                                                           ("SEC008", "public.jobs.x_service")]
    assert outcome.stale == [] and not outcome.ok


def test_every_finding_allowed_and_nothing_stale_is_clean():
    findings = [Finding("SEC016", "service_role"), Finding("SEC023", "public.t.gone_policy"),
                Finding("SEC023", "public.jobs.a_service")]
    assert match(findings, parse_allowlist(ALLOWLIST)).ok


def test_a_pattern_does_not_match_across_other_names():
    (allowance,) = parse_allowlist([{"rule": "SEC009", "locations": "public.users", "reason": "deny-all"}])
    assert allowance.allows(Finding("SEC009", "public.users"))
    assert not allowance.allows(Finding("SEC009", "public.users_archive"))


@pytest.mark.parametrize("entry, complaint", [
    ({"rule": "SEC016", "locations": ["service_role"]}, "reason"),
    ({"rule": "SEC016", "locations": ["service_role"], "reason": "  "}, "reason"),
    ({"rule": "SEC016", "locations": [], "reason": "r"}, "locations"),
    ({"locations": ["x"], "reason": "r"}, "rule"),
    ({"rule": "SEC016", "locations": ["x"], "reason": "r", "why": "typo"}, "unknown key"),
])
def test_an_entry_without_its_reason_or_locations_is_refused(entry, complaint):
    with pytest.raises(AllowlistError, match=complaint):
        parse_allowlist([entry])


def test_findings_are_read_from_pgrls_json():
    report = {"violations": [{"rule_id": "SEC016", "severity": "warning", "title": "t", "message": "m",
                              "location": "service_role"}], "summary": {"total": 1}}
    assert findings_of(report) == [Finding("SEC016", "service_role", "warning", "m")]


def test_the_kits_allowlist_is_well_formed_and_every_entry_says_why():
    data = yaml.safe_load(pgrls_lint.DEFAULT_ALLOWLIST.read_text())
    allowances = parse_allowlist(data, "lint/pgrls-allowlist.yaml")
    assert allowances and all(len(a.reason) > 20 for a in allowances)
    pairs = [(a.rule, a.pattern) for a in allowances]
    assert len(pairs) == len(set(pairs)), "a location listed twice under one rule"


def test_the_command_exits_1_on_a_new_finding_and_names_it(tmp_path, capsys):
    allowlist = tmp_path / "allow.yaml"
    allowlist.write_text(yaml.safe_dump(ALLOWLIST))
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"violations": [
        {"rule_id": "SEC016", "severity": "warning", "message": "m", "location": "service_role"},
        {"rule_id": "SEC023", "severity": "warning", "message": "m", "location": "public.t.gone_policy"},
        {"rule_id": "SEC023", "severity": "warning", "message": "m", "location": "public.j.a_service"}]}))
    assert pgrls_lint.main(["--allowlist", str(allowlist), "--report", str(report)]) == 0
    report.write_text(json.dumps({"violations": [
        {"rule_id": "SEC001", "severity": "error", "message": "no RLS", "location": "public.new_table"}]}))
    assert pgrls_lint.main(["--allowlist", str(allowlist), "--report", str(report)]) == 1
    out = capsys.readouterr().out
    assert "new finding SEC001 (error) at public.new_table" in out
    assert out.count("matches no finding: remove it") == 3


def test_several_allowlists_allow_together_and_a_stale_location_names_its_file(tmp_path, capsys):
    """The Supabase pass reads the kit's allowlist and the platform's: a finding either allows passes, and a stale
    location is reported against the file that lists it."""
    kit, platform = tmp_path / "kit.yaml", tmp_path / "platform.yaml"
    kit.write_text(yaml.safe_dump(ALLOWLIST[:1]))
    platform.write_text(yaml.safe_dump([{"rule": "SEC016", "locations": ["postgres", "gone_role"],
                                         "reason": "the platform's own role"}]))
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"violations": [
        {"rule_id": "SEC016", "severity": "warning", "message": "m", "location": "service_role"},
        {"rule_id": "SEC016", "severity": "warning", "message": "m", "location": "postgres"}]}))
    arguments = ["--allowlist", str(kit), "--allowlist", str(platform), "--report", str(report)]
    assert pgrls_lint.main(arguments) == 1
    out = capsys.readouterr().out
    assert "stale allowlist location SEC016 gone_role (entry 1 of " + str(platform) in out
    assert "2 allowlisted" in out and "0 new" in out
    assert pgrls_lint.main(["--allowlist", str(kit), "--report", str(report)]) == 1  # postgres alone is new
    assert "new finding SEC016 (warning) at postgres" in capsys.readouterr().out


def test_the_platform_allowlist_is_well_formed_and_names_no_kit_object():
    allowances = pgrls_lint.load_allowlist(pgrls_lint.SUPABASE_PLATFORM_ALLOWLIST)
    kit = ("job_schedules", "scheduled_jobs", "job_execution_rollups", "scheduler_private", "service_role",
           "authenticator", "anon", "authenticated")
    assert allowances and not [a.pattern for a in allowances if any(name in a.pattern for name in kit)]
