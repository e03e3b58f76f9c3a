"""jobs.yaml through the real Pulumi engine: per-job resources in preview, admin overrides that survive
`up --refresh`, the file winning on a field it changed, retirement instead of deletion, adoption of an existing row,
and a deploy whose connections are cut midway converging on the next up."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
import yaml
from pulumi import automation as auto

from tests.support.actors import attempt
from tests.support.deploy import stack_for


def write_jobs(path, jobs: list[dict]) -> None:
    path.write_text(yaml.safe_dump({"jobs": jobs}, sort_keys=False))


def job(name, **overrides) -> dict:
    return {"name": name, "cron": "0 9 * * 1", "service": "email-service", "endpoint": f"/api/jobs/{name}", **overrides}


def rows(dsn) -> dict:
    with psycopg.connect(dsn) as conn:
        return {r[0]: dict(zip(("cron", "enabled", "endpoint", "config", "retired", "total"), r[1:]))
                for r in conn.execute("SELECT job_name, cron_expression, enabled, endpoint, config,"
                                      " retired_at IS NOT NULL, total_runs FROM public.job_schedules")}


@pytest.fixture(scope="module")
def jobs_stack(cluster, tmp_path_factory):
    jobs_file = tmp_path_factory.mktemp("jobs") / "jobs.yaml"
    write_jobs(jobs_file, [job("weekly-digest"), job("nightly-cleanup", cron="30 2 * * *")])
    database = cluster.create_database()
    stack = stack_for(cluster, database, {"jobsFile": str(jobs_file)})
    stack.up()
    with psycopg.connect(stack.dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO public.users (clerk_user_id, role) VALUES ('user_admin', 'admin')")
    yield stack, jobs_file
    stack.destroy()
    stack.remove()
    cluster.drop_database(database)


def test_each_job_is_a_resource_and_changes_are_named(jobs_stack):
    stack, jobs_file = jobs_stack
    write_jobs(jobs_file, [job("weekly-digest", cron="0 10 * * 1"), job("nightly-cleanup", cron="30 2 * * *"),
                           job("invoice-reminders")])
    seen: list[str] = []
    preview = stack.preview(diff=True, on_output=seen.append)
    text = "".join(seen)
    assert preview.change_summary.get("create") == 1 and preview.change_summary.get("update") == 1
    assert "job-invoice-reminders" in text and "job-weekly-digest" in text and "cron" in text
    stack.up()
    assert rows(stack.dsn)["weekly-digest"]["cron"] == "0 10 * * 1"


def test_admin_override_survives_refresh_until_the_file_changes_that_field(jobs_stack, gateway, tokens):
    stack, jobs_file = jobs_stack
    write_jobs(jobs_file, [job("weekly-digest", cron="0 10 * * 1"), job("nightly-cleanup", cron="30 2 * * *")])
    stack.up()
    with psycopg.connect(stack.dsn) as conn:
        admin = tokens.user("user_admin")
        assert attempt(conn, gateway, admin, "UPDATE public.job_schedules SET enabled = false"
                                             " WHERE job_name = 'weekly-digest'").rowcount == 1
        assert attempt(conn, gateway, admin, "UPDATE public.job_schedules SET cron_expression = '*/15 * * * *'"
                                             " WHERE job_name = 'nightly-cleanup'").rowcount == 1
        conn.commit()
    stack.up(refresh=True)
    assert rows(stack.dsn)["weekly-digest"]["enabled"] is False
    assert rows(stack.dsn)["nightly-cleanup"]["cron"] == "*/15 * * * *"
    assert stack.preview(refresh=True).change_summary.get("update") is None

    # The file changes the cron of nightly-cleanup and the endpoint of weekly-digest: only the cron is overwritten.
    write_jobs(jobs_file, [job("weekly-digest", cron="0 10 * * 1", endpoint="/api/v2/digest"),
                           job("nightly-cleanup", cron="45 3 * * *")])
    stack.up(refresh=True)
    after = rows(stack.dsn)
    assert after["nightly-cleanup"]["cron"] == "45 3 * * *"
    assert after["weekly-digest"]["enabled"] is False and after["weekly-digest"]["endpoint"] == "/api/v2/digest"


def test_a_hand_edit_to_a_file_owned_field_is_drift_and_is_repaired(jobs_stack):
    stack, jobs_file = jobs_stack
    before = rows(stack.dsn)["weekly-digest"]
    with psycopg.connect(stack.dsn, autocommit=True) as conn:
        conn.execute("UPDATE public.job_schedules SET endpoint = 'https://elsewhere.example/hook', config = '{}'"
                     " WHERE job_name = 'weekly-digest'")
    assert stack.preview(refresh=True).change_summary.get("update") == 1
    stack.up(refresh=True)
    after = rows(stack.dsn)["weekly-digest"]
    assert after == before  # endpoint and config back, the admin's enabled=false kept


def test_removing_a_job_retires_it_and_keeps_history(jobs_stack):
    stack, jobs_file = jobs_stack
    with psycopg.connect(stack.dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at)"
                     " VALUES ('nightly-cleanup', 'completed', now() - interval '1 minute', now())")
    write_jobs(jobs_file, [job("weekly-digest", cron="0 10 * * 1", endpoint="/api/v2/digest")])
    stack.up()
    retired = rows(stack.dsn)["nightly-cleanup"]
    assert retired["retired"] is True and retired["enabled"] is False and retired["total"] == 1
    with psycopg.connect(stack.dsn) as conn:
        assert conn.execute("SELECT count(*) FROM public.scheduled_jobs WHERE job_name = 'nightly-cleanup'").fetchone()[0] == 1

    # Back again under the same name: the file's definition, the statistics it had.
    write_jobs(jobs_file, [job("weekly-digest", cron="0 10 * * 1", endpoint="/api/v2/digest"),
                           job("nightly-cleanup", cron="0 4 * * *")])
    stack.up()
    back = rows(stack.dsn)["nightly-cleanup"]
    assert back == {**back, "retired": False, "enabled": True, "cron": "0 4 * * *", "total": 1}


def test_a_row_that_already_exists_is_adopted(jobs_stack):
    stack, jobs_file = jobs_stack
    with psycopg.connect(stack.dsn, autocommit=True) as conn:  # registered by a service (or an older tool) by hand
        conn.execute("INSERT INTO public.job_schedules (job_name, cron_expression, service, endpoint)"
                     " VALUES ('hand-made', '0 1 * * *', 'legacy', '/old')")
        conn.execute("INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at)"
                     " VALUES ('hand-made', 'failed', now() - interval '1 minute', now())")
    current = yaml.safe_load(jobs_file.read_text())["jobs"]
    write_jobs(jobs_file, [*current, job("hand-made", cron="0 2 * * *")])
    stack.up()
    adopted = rows(stack.dsn)["hand-made"]
    assert (adopted["cron"], adopted["endpoint"], adopted["total"]) == ("0 2 * * *", "/api/jobs/hand-made", 1)


def test_an_invalid_file_changes_nothing(jobs_stack):
    stack, jobs_file = jobs_stack
    before = rows(stack.dsn)
    write_jobs(jobs_file, [job("weekly-digest", cron="every monday")])
    with pytest.raises(auto.CommandError) as failure:
        stack.up()
    assert "jobs[0].cron: 'every monday': has 2 fields, the kit accepts 5" in str(failure.value)
    assert rows(stack.dsn) == before


def test_a_deploy_cut_midway_converges_on_the_next_up(jobs_stack, cluster):
    stack, jobs_file = jobs_stack
    many = [job(f"bulk-{i:03d}", cron=f"{i % 60} * * * *", config={"index": i}) for i in range(200)]
    write_jobs(jobs_file, many)
    cuts = []
    done = threading.Event()

    def cut_connections():
        with psycopg.connect(cluster.admin_dsn, autocommit=True) as admin:
            while not done.is_set() and len(cuts) < 5:
                killed = admin.execute("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
                                       " WHERE application_name = 'scheduler-kit' AND datname = %s",
                                       (stack.database,)).fetchone()[0]
                if killed:
                    cuts.append(killed)
                time.sleep(0.02)

    cutter = threading.Thread(target=cut_connections)
    cutter.start()
    try:
        with pytest.raises(auto.CommandError):
            stack.up()
    finally:
        done.set()
        cutter.join()
    assert cuts, "no connection was cut; the test proved nothing"
    partial = rows(stack.dsn)
    expected = {j["name"]: j for j in many}
    for name, row in partial.items():  # whatever was written is whole
        if name in expected:
            assert (row["cron"], row["endpoint"], row["config"]) == (
                expected[name]["cron"], expected[name]["endpoint"], expected[name]["config"])
    stack.up()
    final = rows(stack.dsn)
    assert {n for n, r in final.items() if not r["retired"]} == set(expected)
    assert stack.preview(expect_no_changes=True).change_summary.get("update") is None
