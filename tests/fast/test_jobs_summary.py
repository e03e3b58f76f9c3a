from scheduler_kit.jobs_cli import main, summarize
from scheduler_kit.jobs_file import JobDefinition


def job(name, **kw):
    return JobDefinition(name=name, cron=kw.pop("cron", "0 9 * * 1"), service="svc", endpoint=f"/{name}", **kw)


def test_added_changed_removed_with_old_and_new_values_and_schedules_in_words():
    deployed = {j.name: j.as_dict() for j in [job("kept"), job("edited"), job("gone", cron="30 2 * * *")]}
    text = summarize(deployed, [job("kept"), job("edited", cron="0 10 * * 1", enabled=False), job("new")], "staging")
    assert "1 added, 1 changed, 1 removed." in text
    assert "| `new` | `0 9 * * 1` (At 09:00 AM, only on Monday, UTC) |" in text
    assert "cron: `0 9 * * 1` (At 09:00 AM, only on Monday, UTC) → `0 10 * * 1` (At 10:00 AM, only on Monday, UTC)" in text
    assert "enabled: `True` → `False`" in text
    assert "`gone`: was `30 2 * * *` (At 02:30 AM, UTC)" in text and "retired, not deleted" in text
    assert "`kept`" not in text


def test_no_changes_says_so():
    assert "No job changes." in summarize({"a": job("a").as_dict()}, [job("a")], "local")


def test_cli_exit_codes(tmp_path, capsys):
    good = tmp_path / "jobs.yaml"
    good.write_text("jobs:\n  - {name: a, cron: '0 9 * * 1', service: s, endpoint: /a}\n")
    assert main(["validate", str(good)]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("jobs:\n  - {name: a, cron: 'nope', service: s, endpoint: /a}\n")
    assert main(["validate", str(bad)]) == 1
    assert f"{bad}:2:" in capsys.readouterr().err


def test_json_form_and_exit_code(tmp_path, capsys, monkeypatch):
    import json

    import scheduler_kit.jobs_cli as cli

    file = tmp_path / "jobs.yaml"
    file.write_text("jobs:\n  - {name: a, cron: '0 9 * * 1', service: svc, endpoint: /a}\n")
    monkeypatch.setattr(cli, "deployed_jobs", lambda stack: {"a": job("a").as_dict()})
    assert main(["summary", str(file), "--json", "--exit-code"]) == 0
    assert json.loads(capsys.readouterr().out)["changes"] is False

    monkeypatch.setattr(cli, "deployed_jobs", lambda stack: {"a": job("a", cron="0 8 * * 1").as_dict(),
                                                             "b": job("b").as_dict()})
    assert main(["summary", str(file), "--json", "--exit-code", "--stack", "staging"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["stack"] == "staging" and document["changes"] is True
    assert document["changed"] == {"a": {"cron": {"old": "0 8 * * 1", "new": "0 9 * * 1"}}}
    assert list(document["removed"]) == ["b"] and document["added"] == {}
    assert main(["summary", str(file)]) == 0  # without --exit-code a summary with changes is still a success


def test_an_unreadable_deployment_is_an_error_not_an_empty_stack(tmp_path, capsys, monkeypatch):
    import scheduler_kit.jobs_cli as cli

    file = tmp_path / "jobs.yaml"
    file.write_text("jobs:\n  - {name: a, cron: '0 9 * * 1', service: svc, endpoint: /a}\n")

    def unreadable(stack):
        raise cli.DeployedJobsError(f"no stack named {stack!r}; the stacks are: local")

    monkeypatch.setattr(cli, "deployed_jobs", unreadable)
    assert main(["summary", str(file), "--stack", "typo", "--exit-code"]) == 3
    captured = capsys.readouterr()
    assert "no stack named 'typo'; the stacks are: local" in captured.err and "added" not in captured.out


def test_deployed_jobs_come_from_the_job_resources_not_the_outputs():
    from scheduler_kit.jobs_cli import jobs_from_state

    definition = job("a").as_dict()
    export = {"deployment": {"resources": [
        {"type": "pulumi:pulumi:Stack", "outputs": {"jobs": {"ghost": definition}}},
        {"type": "pulumi-python:dynamic/schedkit:Job", "outputs": {**definition, "live": {}, "applied": {}}},
        {"type": "pulumi-python:dynamic/schedkit:Job", "delete": True, "outputs": job("old").as_dict()},
        {"type": "pulumi-python:dynamic/schedkit:Table", "outputs": {"name": "job_schedules"}},
    ]}}
    assert jobs_from_state(export) == {"a": definition}
    assert jobs_from_state({"deployment": {}}) == {}


def test_the_markdown_starts_with_the_marker_ci_finds_its_comment_by():
    from scheduler_kit.jobs_cli import MARKER

    assert summarize({}, [job("a")], "local").splitlines()[0] == MARKER


def test_the_workflow_keeps_one_comment_and_attaches_the_preview():
    import yaml

    from scheduler_kit.jobs_cli import MARKER
    from tests.support.toolchain import ROOT

    workflow = yaml.safe_load((ROOT / ".github/workflows/pull-request.yml").read_text())
    steps = {step.get("name"): step for step in workflow["jobs"]["check"]["steps"]}
    # The jobs summary is inside the access review's comment (or alone when there is no review): one comment.
    post = steps["Post or update the review comment"]["run"]
    assert f"jobs='{MARKER}'" in post and "--method PATCH" in post and "gh pr comment" in post
    assert steps["Attach the full preview"]["uses"].startswith("actions/upload-artifact@")
    assert "preview.txt" in steps["Attach the full preview"]["with"]["path"]
    assert '--exit-code' in steps["Preview this pull request"]["run"]
