"""`jobs_cli import` against a real PostgreSQL holding job rows the kit's rules refuse, then a first deploy of the
imported file through the real Pulumi engine: the deploy changes exactly the values the file's comments name (each
one in job_field_changes' preview), and no other field of any job."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

from scheduler_kit.job_rows import read_job_rows
from scheduler_kit.jobs_file import load_jobs
from scheduler_kit.jobs_import import COLUMN_OF, job_field_changes
from tests.support.deploy import stack_for
from tests.support.model_db import connection_settings, model_database
from tests.support.toolchain import ROOT

DEFINITION = ("display_name", "description", "cron_expression", "enabled", "service", "endpoint", "config",
              "retired_at")


def definitions(dsn: str) -> dict[str, dict]:
    rows = {row["job_name"]: {column: row[column] for column in DEFINITION}
            for row in read_job_rows(connection_settings(dsn))}
    with psycopg.connect(dsn) as conn:
        # The stored text too: 100 and 100.0 are equal in Python and as jsonb, but not to a service's JSON parser.
        for name, config_text in conn.execute("SELECT job_name, config::text FROM public.job_schedules"):
            rows[name]["config_text"] = config_text
    return rows


def test_an_imported_jobs_yaml_deploys_without_changing_any_job_it_did_not_say(cluster, tmp_path):
    with model_database(cluster) as dsn:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute((Path(__file__).with_name("legacy_job_rows.sql")).read_text())
        before = definitions(dsn)
        out = tmp_path / "jobs.yaml"
        command = [sys.executable, "-m", "scheduler_kit.jobs_cli", "import", "--dsn", dsn, "-o", str(out)]
        strict = subprocess.run([*command, "--strict"], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert strict.returncode == 1, strict.stderr  # values had to change: --strict says so, and still writes
        again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert again.returncode == 3 and "was not overwritten" in again.stderr
        password = conninfo_to_dict(dsn).get("password")
        assert not password or password not in strict.stderr + out.read_text()

        jobs = {job.name: job for job in load_jobs(out)}
        assert sorted(jobs) == ["array-config", "bad-cron", "legacy-report", "nightly-cleanup", "no-schedule",
                                "weekly-digest"]  # blank-service left out, old-job retired, Legacy_Report renamed
        assert "left out: the row 'blank-service'" in out.read_text()
        preview = job_field_changes(read_job_rows(connection_settings(dsn)), list(jobs.values()))
        said = {(c.job, c.column) for c in preview if c.column}
        assert said == {("no-schedule", "cron_expression"), ("no-schedule", "enabled"),
                        ("bad-cron", "cron_expression"), ("array-config", "display_name"),
                        ("array-config", "service"), ("array-config", "endpoint"), ("array-config", "config")}
        assert [c.job for c in preview if not c.column] == ["Legacy_Report", "blank-service"]  # left as they are
        # Every change the preview names is a value the file comments on, at its field.
        commented = {(name, COLUMN_OF.get(field, field)) for name, field in _notes(out) if field != "name"}
        assert said <= commented

        # The rows the file leaves out (Legacy_Report, blank-service) break the definition rules: by default the
        # deployment refuses them (scheduler_kit/adoption.py); kept, they stay as they are.
        stack = stack_for(cluster, conninfo_to_dict(dsn)["dbname"], {"jobsFile": str(out), "keepInvalidRows": "true"})
        try:
            stack.up()
            after = definitions(dsn)
            assert set(after) - set(before) == {"legacy-report"}
            for name, row in before.items():
                expected = dict(row)
                for change in preview:
                    if change.job == name and change.column:
                        expected[change.column] = change.new
                        if change.column == "config":
                            expected["config_text"] = after[name]["config_text"]
                assert after[name] == expected, name
            assert after["nightly-cleanup"]["enabled"] is False  # the admin's switch-off and schedule survive
            assert after["nightly-cleanup"]["cron_expression"] == "*/15 * * * *"
            assert after["blank-service"]["enabled"] is True and after["blank-service"]["retired_at"] is None
            assert stack.preview().change_summary.get("update") is None  # the next up changes nothing
        finally:
            stack.remove()


def _notes(path: Path) -> list[tuple[str, str]]:
    """(job, field) for every `# import:` comment on a job's field line in the file."""
    notes, job = [], None
    for line in path.read_text().splitlines():
        if line.startswith("  - name: "):
            job = line.split()[2]
        if "# import:" in line and job and not line.lstrip().startswith("#"):
            notes.append((job, line.strip().lstrip("- ").split(":", 1)[0]))
        elif line.strip().startswith("# import: ") and job and line.startswith("    "):
            notes.append((job, line.strip()[len("# import: "):].split(":", 1)[0]))
        if line == "":
            job = None
    return notes


def test_a_table_of_another_shape_is_read_as_it_is(cluster, tmp_path, capsys):
    from scheduler_kit import jobs_cli

    database = cluster.create_database("schedkit_seed_shape")
    try:
        dsn = cluster.dsn_for(database)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute((Path(__file__).with_name("seed_shaped_job_rows.sql")).read_text())
        out = tmp_path / "jobs.yaml"
        assert jobs_cli.main(["import", "--dsn", dsn, "-o", str(out), "--strict"]) == jobs_cli.EXIT_CHANGES
        jobs = {job.name: job for job in load_jobs(out)}
        assert sorted(jobs) == ["undecided", "unscheduled", "weekly-digest"]
        assert jobs["weekly-digest"].config == {"batchSize": 100}  # a text column holding a JSON object
        assert (jobs["unscheduled"].cron, jobs["unscheduled"].enabled) == ("@yearly", False)
        assert (jobs["undecided"].enabled, jobs["undecided"].config) == (False, {})
        text = out.read_text()
        assert "enabled: false  # import: the database holds NULL" in text
        assert "config: {}  # import: the database holds 'not json', which is not a JSON object" in text
        assert "left out: the row 'nowhere' cannot be made valid: service is NULL" in text
        assert "left out: row 'nowhere'" in capsys.readouterr().err
    finally:
        cluster.drop_database(database)
