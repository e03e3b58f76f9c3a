"""`make bench-deploy` (part of `make bench`): what a deploy costs next to what it cannot avoid, measured side by side
in one run (medians of interleaved repetitions, a, b, a, b, ...), on throwaway databases and stacks of the checkout's
own cluster (never the `local` stack).

1. a no-op `pulumi preview` of the model / an empty Python program's preview (same toolchain, same backend): <= 1.5;
   beside it, the floor under that ratio: a program of as many dynamic resources that do nothing
   (bench/noop_resources.py) / the same empty program's preview, and the model / that floor
2. the first `pulumi up` of the model into an empty database / an empty program's up + `psql -f` of the migration
   file `make sql` writes, into another empty database: <= 3
3. an `up` changing one job of 1,000 (one job's cron) / a no-op preview of the same stack: <= 2

Run: `make bench-deploy`; BENCH_DEPLOY_REPETITIONS (previews, default 5), BENCH_DEPLOY_UPS (ups,
default 3), BENCH_DEPLOY_JOBS (default 1000).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from pulumi import automation as auto

from scheduler_kit.export_sql import build
from scheduler_kit.pulumi_env import ROOT, ensure_pulumi_environment
from tests.support.cluster import Cluster
from tests.support.deploy import stack_for

from .common import side_by_side, timed, verdict
from .jobs_bench import jobs_document
from .noop_resources import program_text

REPETITIONS = int(os.environ.get("BENCH_DEPLOY_REPETITIONS", "5"))
UPS = int(os.environ.get("BENCH_DEPLOY_UPS", "3"))  # first ups and 1-of-N ups: each costs seconds
JOBS = int(os.environ.get("BENCH_DEPLOY_JOBS", "1000"))
EMPTY_PROGRAM = "import pulumi  # nothing to deploy: what the engine and the Python runtime cost on their own\n"


def python_program(folder: Path, project: str, main: str) -> Path:
    """A Python program beside the model's, run by the same interpreter (the checkout's .venv) and backend."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Pulumi.yaml").write_text(
        f"name: {project}\nruntime:\n  name: python\n  options:\n    virtualenv: {ROOT / '.venv'}\n")
    (folder / "__main__.py").write_text(main)
    return folder


def empty_program(folder: Path) -> Path:
    """A Python program with no resources."""
    return python_program(folder, "schedkit-bench-empty", EMPTY_PROGRAM)


def noop_program(folder: Path, count: int, depth: int) -> Path:
    """The floor program (bench/noop_resources.py): `count` dynamic resources that do nothing, in chains of `depth`."""
    return python_program(folder, "schedkit-bench-noop", program_text(count, depth))


def dynamic_resources(stack: auto.Stack) -> tuple[int, int]:
    """How many of a deployed stack's resources the dynamic provider serves (each a Check and a Diff in a no-op
    preview), and the longest chain of dependencies among them (the registrations that wait one for another)."""
    resources = stack.export_stack().deployment["resources"]
    dynamic = {r["urn"]: r.get("dependencies", []) for r in resources if r["type"].startswith("pulumi-python:dynamic/")}
    depths: dict[str, int] = {}

    def depth(urn: str) -> int:
        if urn not in depths:
            depths[urn] = 1 + max((depth(need) for need in dynamic[urn] if need in dynamic), default=0)
        return depths[urn]

    return len(dynamic), max(map(depth, dynamic), default=0)


class Throwaways:
    """The databases and stacks a run makes, dropped and removed at the end whatever happens."""

    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self.databases: list[str] = []
        self.stacks: list[auto.Stack] = []

    def database(self, prefix: str) -> str:
        name = self.cluster.create_database(prefix)
        self.databases.append(name)
        return name

    def model_stack(self, prefix: str, jobs_file: Path):
        stack = stack_for(self.cluster, self.database(prefix), {"jobsFile": str(jobs_file)})
        self.stacks.append(stack.stack)
        return stack

    def forget(self, stack: auto.Stack) -> None:
        """A throwaway stack's state goes with its database: dropping the database is the clean-up (a destroy of
        the objects would cost what the bench measures, for nothing)."""
        stack.workspace.remove_stack(stack.name, force=True)
        self.stacks.remove(stack)
        backend = os.environ.get("PULUMI_BACKEND_URL", "")
        if backend.startswith("file://"):  # `stack rm` leaves the file backend's backups behind
            for leftover in Path(backend[len("file://"):], ".pulumi", "stacks").glob(f"*/{stack.name}.json.bak*"):
                leftover.unlink(missing_ok=True)

    def close(self) -> None:
        for stack in list(self.stacks):
            try:
                self.forget(stack)
            except Exception as error:  # noqa: BLE001 - clean up the rest
                print(f"  (could not remove stack {stack.name}: {error})")
        for database in self.databases:
            self.cluster.drop_database(database)


def pulumi(work_dir: Path, stack: str, *args: str, expect: str = "", env: dict[str, str] | None = None) -> float:
    """Seconds of one `pulumi` command, as typed at a terminal or run by CI (no Automation API in between)."""
    command = ["pulumi", *args, "--stack", stack, "--non-interactive", "--color", "never", "--cwd", str(work_dir)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **(env or {})})
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    if expect not in done.stdout:
        raise RuntimeError(f"{' '.join(command)} did not say {expect!r}:\n{done.stdout[-3000:]}")
    return seconds


def preview(work_dir: Path, stack: str) -> float:
    return pulumi(work_dir, stack, "preview", "--expect-no-changes")


def up(work_dir: Path, stack: str, expect: str = "") -> float:
    return pulumi(work_dir, stack, "up", "--yes", "--skip-preview", expect=expect)


def psql_file(dsn: str, path: Path) -> None:
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", str(path)], check=True,
                   stdout=subprocess.DEVNULL)


def main() -> None:
    ensure_pulumi_environment()
    cluster = Cluster.start()
    folder = Path(tempfile.mkdtemp(prefix="schedkit-deploy-bench-"))
    throwaways = Throwaways(cluster)
    counter = iter(range(10_000))
    try:
        empty_dir = empty_program(folder / "empty")
        empty = auto.create_or_select_stack(stack_name=f"bench-empty-{os.getpid()}", work_dir=str(empty_dir))
        throwaways.stacks.append(empty)
        up(empty_dir, empty.name)  # the Stack resource exists: its later previews are no-ops
        migration = folder / "scheduler-postgres.sql"
        migration.write_text(build("postgres", protect_history=False))
        jobs_file = ROOT / "jobs.yaml"

        # 1. No-op preview of the model against the empty program's.
        model = throwaways.model_stack("schedkit_bench_deploy", jobs_file)
        up(ROOT, model.stack.name)
        # Its floor: as many dynamic resources that do nothing, launched as the kit launches its own.
        resources, depth = dynamic_resources(model.stack)
        noop_dir = noop_program(folder / "noop", resources, depth)
        noop = auto.create_or_select_stack(stack_name=f"bench-noop-{os.getpid()}", work_dir=str(noop_dir))
        throwaways.stacks.append(noop)
        up(noop_dir, noop.name)
        floor_name = f"{resources} no-op resources"
        previews = side_by_side({
            "model preview": lambda: preview(ROOT, model.stack.name),
            "empty preview": lambda: preview(empty_dir, empty.name),
            floor_name: lambda: preview(noop_dir, noop.name),
        }, REPETITIONS)

        # 2. First up into an empty database, against an empty program's first up plus psql -f of the migration.
        def first_up() -> float:
            stack = throwaways.model_stack("schedkit_bench_first", jobs_file)
            seconds = up(ROOT, stack.stack.name)
            throwaways.forget(stack.stack)
            return seconds

        def empty_first_up() -> float:
            stack = auto.create_or_select_stack(stack_name=f"bench-empty-{os.getpid()}-{next(counter)}",
                                                work_dir=str(empty_dir))
            throwaways.stacks.append(stack)
            seconds = up(empty_dir, stack.name)
            throwaways.forget(stack)
            return seconds

        def migration_file() -> float:
            dsn = cluster.dsn_for(throwaways.database("schedkit_bench_sql"))
            return timed(lambda: psql_file(dsn, migration))

        firsts = side_by_side({"model first up": first_up, "empty first up": empty_first_up,
                               "psql -f": migration_file}, UPS)

        # 3. One job of JOBS changed, against a no-op preview of the same stack.
        many = folder / f"jobs-{JOBS}.yaml"
        many.write_text(jobs_document(JOBS))
        big = throwaways.model_stack("schedkit_bench_jobs", many)
        # Setting up only (not measured, a throwaway stack): without a checkpoint after every step, the 1,000 creates
        # take a minute instead of several (the file backend rewrites the whole state at each).
        pulumi(ROOT, big.stack.name, "up", "--yes", "--skip-preview", env={"PULUMI_SKIP_CHECKPOINTS": "true"})
        rounds = iter(range(10_000))

        def up_one_job() -> float:
            # Alternately one job's cron changed and changed back: every up changes exactly one job.
            many.write_text(jobs_document(JOBS, changed=7 % JOBS if next(rounds) % 2 == 0 else None))
            return up(ROOT, big.stack.name, expect="1 updated")

        def big_preview() -> float:
            return preview(ROOT, big.stack.name)

        ones = side_by_side({f"up 1 of {JOBS} jobs": up_one_job, f"preview {JOBS} jobs": big_preview},
                            UPS)
    finally:
        throwaways.close()
        shutil.rmtree(folder, ignore_errors=True)

    print(f"deploy bench: medians of interleaved repetitions ({REPETITIONS} previews; "
          f"{UPS} first ups and 1-of-{JOBS} ups)")
    for name, seconds in {**previews, **firsts, **ones}.items():
        print(f"    {name:<22} {seconds:7.2f} s")
    print(f"  no-op preview of the model / an empty program's:          "
          f"{verdict(previews['model preview'] / previews['empty preview'], 1.5)}")
    floor_preview = previews[floor_name]
    print(f"    its floor, {resources} dynamic resources doing nothing (chains of {depth}) / the empty program's: "
          f"{floor_preview / previews['empty preview']:5.2f}")
    print(f"    the model / that floor (what the kit's own code costs): "
          f"{previews['model preview'] / floor_preview:5.2f}")
    floor = firsts["empty first up"] + firsts["psql -f"]
    print(f"  first up of the model / empty program's up + psql -f:     "
          f"{verdict(firsts['model first up'] / floor, 3.0)}")
    print(f"  up changing 1 of {JOBS:,} jobs / no-op preview of that stack: "
          f"{verdict(ones[f'up 1 of {JOBS} jobs'] / ones[f'preview {JOBS} jobs'], 2.0)}")


if __name__ == "__main__":
    main()
