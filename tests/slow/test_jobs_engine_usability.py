"""The kit as its users meet it, through the real engine and make: the jobs summary after a failed deploy, emoji that
validate also deploy, a preview that prints the change and not every job, `make preview` on another stack showing
drift without rewriting that stack, an unknown stack refused, and an unreachable database failing the preview in
one line."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import psycopg
import pytest
import yaml
from pulumi import automation as auto

from scheduler_kit.jobs_cli import main as jobs_cli
from tests.support.deploy import stack_for
from tests.support.toolchain import ROOT


def write_jobs(path, jobs: list[dict]) -> None:
    path.write_text(yaml.safe_dump({"jobs": jobs}, sort_keys=False, allow_unicode=True), encoding="utf-8")


def job(name, **overrides) -> dict:
    return {"name": name, "cron": "0 9 * * 1", "service": "email-service", "endpoint": f"/api/jobs/{name}", **overrides}


BASE_JOBS = [job("weekly-digest"), job("nightly-cleanup", cron="30 2 * * *")]


@pytest.fixture(scope="module")
def jobs_stack(cluster, tmp_path_factory):
    jobs_file = tmp_path_factory.mktemp("jobs") / "jobs.yaml"
    write_jobs(jobs_file, BASE_JOBS)
    database = cluster.create_database()
    stack = stack_for(cluster, database, {"jobsFile": str(jobs_file)})
    stack.up()
    yield stack, jobs_file
    stack.destroy()
    stack.remove()
    cluster.drop_database(database)


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(command), cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_the_summary_after_a_failed_deploy_still_shows_the_change(jobs_stack, capsys):
    stack, jobs_file = jobs_stack
    with psycopg.connect(stack.dsn, autocommit=True) as conn:  # the database refuses this one row
        conn.execute("ALTER TABLE public.job_schedules ADD CONSTRAINT test_blocked CHECK (endpoint <> '/blocked')")
    try:
        write_jobs(jobs_file, [job("weekly-digest", endpoint="/blocked"), BASE_JOBS[1]])
        with pytest.raises(auto.CommandError):
            stack.up()
        capsys.readouterr()
        assert jobs_cli(["summary", str(jobs_file), "--stack", stack.stack.name]) == 0
        markdown = capsys.readouterr().out
        assert "No job changes." not in markdown
        assert "endpoint: `/api/jobs/weekly-digest` → `/blocked`" in markdown
        assert jobs_cli(["summary", str(jobs_file), "--stack", stack.stack.name, "--json", "--exit-code"]) == 1
        document = json.loads(capsys.readouterr().out)
        assert document["changed"] == {"weekly-digest": {"endpoint": {"old": "/api/jobs/weekly-digest",
                                                                      "new": "/blocked"}}}
    finally:
        with psycopg.connect(stack.dsn, autocommit=True) as conn:
            conn.execute("ALTER TABLE public.job_schedules DROP CONSTRAINT test_blocked")
        write_jobs(jobs_file, BASE_JOBS)
        stack.up()
    assert jobs_cli(["summary", str(jobs_file), "--stack", stack.stack.name, "--exit-code"]) == 0
    assert "No job changes." in capsys.readouterr().out


def test_a_preview_prints_the_changed_job_not_every_job(jobs_stack):
    stack, jobs_file = jobs_stack
    write_jobs(jobs_file, [BASE_JOBS[0], {**BASE_JOBS[1], "cron": "45 3 * * *"}])
    seen: list[str] = []
    stack.preview(diff=True, on_output=seen.append)
    text = "".join(seen)
    assert '"30 2 * * *" => "45 3 * * *"' in text
    assert "weekly-digest" not in text and "/api/jobs/weekly-digest" not in text
    write_jobs(jobs_file, BASE_JOBS)


def test_make_preview_on_another_stack_shows_drift_and_leaves_its_settings(jobs_stack):
    stack, jobs_file = jobs_stack
    write_jobs(jobs_file, BASE_JOBS)
    name = stack.stack.name
    settings_before = stack.stack.get_all_config()
    with psycopg.connect(stack.dsn, autocommit=True) as conn:
        conn.execute("UPDATE public.job_schedules SET endpoint = 'https://elsewhere.example/hook'"
                     " WHERE job_name = 'nightly-cleanup'")
    # Without the policy pack: a test stack leaves its history unprotected on purpose, which the pack refuses on
    # every stack but local (tests/slow/test_policy_pack.py proves that refusal).
    result = run("make", "preview", f"STACK={name}", "POLICY_PACK=")
    assert result.returncode == 0, result.stderr
    assert re.search(r'~ endpoint\s*: "/api/jobs/nightly-cleanup" => "https://elsewhere.example/hook"', result.stdout)
    assert "1 to update" in result.stdout
    settings_after = stack.stack.get_all_config()
    assert {k: v.value for k, v in settings_after.items()} == {k: v.value for k, v in settings_before.items()}
    stack.up(refresh=True)


def test_an_unknown_stack_is_refused_with_the_list_and_nothing_is_created(jobs_stack):
    stack, _ = jobs_stack
    for command in (["make", "preview", "STACK=test-no-such-stack"], ["make", "jobs-summary", "STACK=test-no-such-stack"]):
        result = run(*command)
        assert result.returncode != 0
        assert "no stack named 'test-no-such-stack'" in result.stderr and stack.stack.name in result.stderr
    # Read from the backend's files: `pulumi stack ls` reads every stack's checkpoint, which the other worker's
    # deploys are writing (the file backend does not write atomically, so it may fail with "EOF").
    backend = Path(os.environ["PULUMI_BACKEND_URL"].removeprefix("file://")) / ".pulumi" / "stacks"
    assert any(backend.rglob(f"{stack.stack.name}.json")), f"the test's own stack is not under {backend}"
    assert not list(backend.rglob("test-no-such-stack.json*"))
    assert not (ROOT / "Pulumi.test-no-such-stack.yaml").exists()


def test_what_validates_deploys_emoji_included(jobs_stack):  # last: it leaves these jobs deployed
    stack, jobs_file = jobs_stack
    name = "Digest \U0001f916\U0001f4e7 \u00e9t\u00e9"
    write_jobs(jobs_file, [job("weekly-digest", display_name=name, cron="@weekly"), BASE_JOBS[1]])
    assert jobs_cli(["validate", str(jobs_file)]) == 0
    stack.up()
    with psycopg.connect(stack.dsn) as conn:
        row = conn.execute("SELECT display_name, cron_expression FROM public.job_schedules"
                           " WHERE job_name = 'weekly-digest'").fetchone()
    assert row == (name, "@weekly")


def test_a_wrong_password_fails_the_preview_in_one_line(cluster):
    database = cluster.create_database()
    stack = stack_for(cluster, database)
    stack.stack.set_config("scheduler-kit:password", auto.ConfigValue("not-the-password", secret=True))
    try:
        with pytest.raises(auto.CommandError) as failure:
            stack.preview()
        text = str(failure.value)
        errors = [line.strip() for line in text.splitlines() if line.strip().startswith("error: cannot connect")]
        assert len(errors) == 1, text
        params = cluster.params()
        assert f"@{params.get('host', '127.0.0.1')}:{params.get('port', 5432)}/{database}" in errors[0]
        assert "refused the password" in errors[0] and "scheduler-kit:password" in errors[0]
        assert "Traceback" not in text and "not-the-password" not in text
    finally:
        stack.remove()
        cluster.drop_database(database)
