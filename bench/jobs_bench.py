"""`make bench`, jobs part: wall time of a no-op `pulumi preview` with 20 and with 200 jobs (two stacks, measured
interleaved in one run), and of a `pulumi up` that changes one job out of 200. Aim: 200-job preview < 3 x 20-job."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml

from tests.support.cluster import Cluster
from tests.support.deploy import stack_for

from .common import side_by_side, timed, verdict

REPETITIONS = int(os.environ.get("BENCH_PREVIEW_REPETITIONS", "3"))


def jobs_document(count: int, changed: int | None = None) -> str:
    jobs = [{"name": f"job-{i:03d}", "cron": f"{i % 60} * * * *", "service": "bench-service",
             "endpoint": f"/api/jobs/{i}", "config": {"index": i}} for i in range(count)]
    if changed is not None:
        jobs[changed]["cron"] = "0 0 * * *"
    return yaml.safe_dump({"jobs": jobs})


def main() -> None:
    cluster = Cluster.start()
    folder = Path(tempfile.mkdtemp(prefix="schedkit-jobs-bench-"))
    stacks = {}
    try:
        for count in (20, 200):
            path = folder / f"jobs-{count}.yaml"
            path.write_text(jobs_document(count))
            database = cluster.create_database("schedkit_bench_jobs")
            stacks[count] = (stack_for(cluster, database, {"jobsFile": str(path)}), path, database)
            stacks[count][0].up()
        medians = side_by_side({
            f"preview {count} jobs": (lambda s=stack: timed(lambda: s.preview(expect_no_changes=True)))
            for count, (stack, _, _) in stacks.items()
        }, REPETITIONS)
        stack200, path200, _ = stacks[200]
        path200.write_text(jobs_document(200, changed=7))
        up_one = timed(lambda: stack200.up())
        print(f"jobs bench: medians of {REPETITIONS} interleaved no-op previews")
        print(f"  no-op preview, 20 jobs:   {medians['preview 20 jobs']:.2f} s")
        print(f"  no-op preview, 200 jobs:  {medians['preview 200 jobs']:.2f} s")
        print(f"  200 / 20:                 {verdict(medians['preview 200 jobs'] / medians['preview 20 jobs'], 3.0)}")
        print(f"  up changing 1 of 200 jobs: {up_one:.2f} s")
    finally:
        for stack, _, database in stacks.values():
            try:
                stack.destroy()
                stack.remove()
            finally:
                cluster.drop_database(database)


if __name__ == "__main__":
    main()
