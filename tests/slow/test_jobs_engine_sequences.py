"""A few random jobs.yaml histories through the real Pulumi engine (the many go through the provider code in
test_jobs_reconcile_stateful.py): after every `pulumi up` the active rows equal the file, every job that left the
file is retired, and the statistics are untouched."""

from __future__ import annotations

import psycopg
import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.support.deploy import deployed_database

NAMES = ("seq-a", "seq-b", "seq-c")
job = st.fixed_dictionaries({
    "name": st.sampled_from(NAMES),
    "cron": st.sampled_from(["0 9 * * 1", "*/10 * * * *", "30 2 * * *"]),
    "service": st.just("svc"),
    "endpoint": st.sampled_from(["/a", "/b"]),
    "enabled": st.booleans(),
    "config": st.dictionaries(st.sampled_from(["x", "y"]), st.integers(0, 9), max_size=2),
})
files = st.lists(job, max_size=3, unique_by=lambda j: j["name"])


@pytest.fixture(scope="module")
def engine(cluster, tmp_path_factory):
    jobs_file = tmp_path_factory.mktemp("seq") / "jobs.yaml"
    jobs_file.write_text("jobs: []\n")
    with deployed_database(cluster, extra_config={"jobsFile": str(jobs_file)}) as stack:
        with psycopg.connect(stack.dsn, autocommit=True) as conn:
            conn.execute("INSERT INTO public.job_schedules (job_name, cron_expression, service, endpoint, total_runs,"
                         " successful_runs) VALUES ('seq-a', '0 0 * * *', 'legacy', '/old', 3, 3)")
        yield stack, jobs_file, set()


@settings(max_examples=3, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=st.lists(files, min_size=2, max_size=3))
def test_random_histories_through_the_engine(engine, history):
    stack, jobs_file, ever = engine
    for document in history:
        jobs_file.write_text(yaml.safe_dump({"jobs": document}))
        stack.up()
        ever |= {j["name"] for j in document}
        with psycopg.connect(stack.dsn) as conn:
            rows = {r[0]: r[1:] for r in conn.execute(
                "SELECT job_name, cron_expression, enabled, endpoint, config, retired_at IS NOT NULL, total_runs"
                " FROM public.job_schedules")}
        wanted = {j["name"]: j for j in document}
        for name, j in wanted.items():
            assert rows[name][:5] == (j["cron"], j["enabled"], j["endpoint"], j["config"], False)
        for name in ever - set(wanted):
            assert rows[name][4] is True and rows[name][1] is False
        for name in set(rows) - ever:  # a row the stack never managed is left as it was
            assert name == "seq-a" and rows[name][:5] == ("0 0 * * *", True, "/old", {}, False)
        assert rows["seq-a"][5] == 3  # made by hand, adopted or not: its statistics stay
