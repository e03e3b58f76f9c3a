"""Deploying a kit from a tree of files (a git worktree of another ref, or the working tree) into a throwaway database
through the real Pulumi engine. Two trees share one stack, so the second deploy is the upgrade from the first: the
path production takes. Each tree's own code runs its deploy (PYTHONPATH puts the tree first, for the program and
the dynamic-provider process alike), with its own model, policies, grants and jobs.yaml."""

from __future__ import annotations

import contextlib
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from pulumi import automation as auto

from scheduler_kit.local_cluster import Cluster
from scheduler_kit.pulumi_env import ROOT, ensure_pulumi_environment

# Lines of a failed engine run that say only that it failed, not why.
_GENERIC = re.compile(r"^(update failed|preview failed|an unhandled error occurred: program exited with non-zero "
                      r"exit code: 1|.*resource.*failed|resource monitor has terminated.*)$", re.IGNORECASE)
# A resource step that failed, as the engine prints it: `<type> <name> **creating failed**`.
_FAILED_STEP = re.compile(r"(\S+) \*\*(?:creating|updating|deleting|replacing) failed")


# The head of one resource's diagnostics in the engine's summary: `  <type> (<name>):`.
_DIAGNOSTICS_BLOCK = re.compile(r"^  (\S+) \((.+)\):$")
# The program's own error once the engine stopped on another step's failure.
_MONITOR_GONE = re.compile(r"resource monitor (has terminated|shut down)", re.IGNORECASE)
# The last line of a Python traceback: `module.SomeError: what happened`.
_EXCEPTION = re.compile(r"^\s*(?:(?:[A-Za-z_]\w*\.)+[A-Za-z_]\w*|\w*(?:Error|Exception|Exit)): \S")


class TreeError(RuntimeError):
    """A tree cannot be checked out or deployed; the message is one line."""


def worktree_of(repo: Path, ref: str, into: Path) -> str:
    """Checks `ref` of `repo` out into `into` (a detached git worktree); returns the commit."""
    try:
        commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", f"{ref}^{{commit}}"], check=True,
                                capture_output=True, text=True).stdout.strip()
        subprocess.run(["git", "-C", str(repo), "worktree", "add", "--detach", str(into), commit], check=True,
                       capture_output=True, text=True)
    except subprocess.CalledProcessError as exc:
        raise TreeError(f"cannot check out {ref!r} of {repo}: {(exc.stderr or '').strip().splitlines()[-1:]}; "
                        "give a ref that exists there (BASE=origin/main, BASE=HEAD~1)") from None
    return commit


@contextlib.contextmanager
def base_worktree(repo: Path, ref: str) -> Iterator[tuple[Path, str]]:
    with tempfile.TemporaryDirectory(prefix="schedkit-review-base-") as parent:
        into = Path(parent) / "base"
        commit = worktree_of(repo, ref, into)
        try:
            yield into, commit
        finally:
            subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force", str(into)], capture_output=True)


def one_line(error: Exception) -> str:
    """The engine's reason for a failed run, on one line: the resource that failed, and the exception its traceback
    ends with, else the first `error:` line that says more than "failed", else the last line."""
    text = str(error)
    reasons, exceptions, program_exceptions, failed = [], [], [], ""
    in_program = False
    for line in text.splitlines():
        block = _DIAGNOSTICS_BLOCK.match(line)
        if block:
            in_program = block.group(1) == "pulumi:pulumi:Stack"
        found = re.search(r"\berror: (.*)", line)
        reason = " ".join(found.group(1).split()) if found else ""
        step = _FAILED_STEP.search(line)
        if step and not failed and not step.group(1).startswith("pulumi:pulumi:Stack"):
            failed = step.group(1)
        if _EXCEPTION.match(line):
            (program_exceptions if in_program else exceptions).append(" ".join(line.split()))
        elif reason and not _GENERIC.match(reason) and not reason.endswith(":"):
            reasons.append(reason)
    # An RPC error or "Resource monitor has terminated" is how the program saw a step fail (its call to the engine
    # cut short), and "context canceled" how a call still in flight ended once the engine stopped on the first
    # failure: none is the reason. The engine prints the program's diagnostics before or after the provider's, as
    # the race goes, so a provider's own exception comes first, then the program's, then the engine's error line.
    def cut(e: str) -> bool:
        return e.startswith("grpc.") or e.endswith("context canceled") or _MONITOR_GONE.search(e) is not None

    cut_short = [e for e in exceptions + program_exceptions if cut(e)]
    found = ([e for e in exceptions + program_exceptions if not cut(e)] + reasons + cut_short)[:1]
    if found:
        return ((f"{failed}: " if failed else "") + found[0])[:500]
    lines = [" ".join(x.split()) for x in text.splitlines() if x.strip()]
    return (lines[-1] if lines else type(error).__name__)[:500]


@dataclass
class TreeStack:
    """One stack in a throwaway database of `cluster`; `deploy(tree)` applies that tree's kit to it."""
    cluster: Cluster
    database: str
    name: str
    trees: list[Path] = field(default_factory=list)
    links: list[Path] = field(default_factory=list)

    def stack(self, tree: Path) -> auto.Stack:
        ensure_pulumi_environment()
        venv = tree / ".venv"
        if not venv.exists():
            # Pulumi.yaml names the virtualenv `.venv` in the project's folder; a worktree has none: this checkout's.
            venv.symlink_to(ROOT / ".venv")
            self.links.append(venv)
        params = self.cluster.params()
        stack = auto.create_or_select_stack(
            stack_name=self.name, work_dir=str(tree),
            opts=auto.LocalWorkspaceOptions(env_vars={"PYTHONPATH": str(tree)}))
        stack.set_all_config({
            "scheduler-kit:target": auto.ConfigValue(self.cluster.target),
            "scheduler-kit:host": auto.ConfigValue(params.get("host", "127.0.0.1")),
            "scheduler-kit:port": auto.ConfigValue(str(params.get("port", 5432))),
            "scheduler-kit:database": auto.ConfigValue(self.database),
            "scheduler-kit:user": auto.ConfigValue(params.get("user", "postgres")),
            "scheduler-kit:password": auto.ConfigValue(params.get("password", ""), secret=True),
            "scheduler-kit:sslmode": auto.ConfigValue(params.get("sslmode", "disable")),
            "scheduler-kit:protectHistory": auto.ConfigValue("false"),
        })
        self.trees.append(tree)
        return stack

    def deploy(self, tree: Path) -> tuple[auto.UpResult, list[dict]]:
        """`pulumi up` of `tree`'s kit; the result and each resource step that changed something."""
        steps: list[dict] = []

        def record(event: auto.EngineEvent) -> None:
            pre = event.resource_pre_event
            if pre and pre.metadata.op.value not in ("same", "read", "refresh"):
                steps.append({"op": pre.metadata.op.value, "urn": pre.metadata.urn,
                              "diffs": sorted(pre.metadata.diffs or [])})

        stack = self.stack(tree)
        try:
            return stack.up(color="never", on_event=record), steps
        except auto.errors.CommandError as exc:
            raise TreeError(one_line(exc)) from None

    def deployed_state(self, tree: Path) -> dict:
        """The stack's state as `pulumi stack export` prints it."""
        return {"deployment": self.stack(tree).export_stack().deployment}

    def export_state(self, tree: Path) -> dict:
        return dict(self.stack(tree).export_stack().deployment or {})

    def restore(self, tree: Path, state: dict, template: str) -> None:
        """Back to a kept base deployment: the database copied again from `template`, the stack's state from `state`
        (the connection is stack config, not state, so nothing in it names the database)."""
        self.cluster.drop_database(self.database)
        self.cluster.copy_database(template, self.database)
        self.stack(tree).import_stack(auto.Deployment(version=3, deployment=state))

    def remove(self) -> None:
        """Forgets the stack (its state and each tree's Pulumi.<stack>.yaml) and drops the database with its roles'
        grants: nothing the throwaway deploys made is kept."""
        try:
            if self.trees:
                workspace = auto.LocalWorkspace(work_dir=str(self.trees[-1]))
                with contextlib.suppress(auto.errors.CommandError):
                    workspace.remove_stack(self.name, force=True)
            for tree in self.trees:
                (tree / f"Pulumi.{self.name}.yaml").unlink(missing_ok=True)
            for link in self.links:
                link.unlink(missing_ok=True)
        finally:
            self.cluster.drop_database(self.database)


@contextlib.contextmanager
def throwaway_stack(cluster: Cluster) -> Iterator[TreeStack]:
    database = cluster.create_database("schedkit_review")
    stack = TreeStack(cluster, database, f"review-{database}")
    try:
        yield stack
    finally:
        stack.remove()


@dataclass(frozen=True)
class BaseCache:
    """Base deployments kept between reviews of the same base commit and profile, one at a time for each (the
    review tests share one): the deployed database's copy as a template, its state, and its observation."""
    directory: Path

    def entry(self, profile: str, commit: str) -> Path:
        return self.directory / f"{profile}-{commit[:12]}"

    @staticmethod
    def names(profile: str, commit: str) -> tuple[str, str, str]:
        """Stack, database and template database of an entry."""
        database = f"schedkit_reviewbase_{commit[:12]}_{profile}"
        return f"review-{commit[:12]}-{profile}", database, f"{database}_kept"

    def drop(self) -> None:
        """Forgets every kept base: stacks, databases and files."""
        ensure_pulumi_environment()
        for entry in sorted(self.directory.glob("*-*")):
            profile, commit = entry.name.split("-", 1)
            name, database, template = self.names(profile, commit)
            cluster = Cluster.start(profile)
            with contextlib.suppress(auto.errors.CommandError):
                auto.LocalWorkspace(work_dir=str(ROOT)).remove_stack(name, force=True)
            (ROOT / f"Pulumi.{name}.yaml").unlink(missing_ok=True)
            cluster.drop_database(database)
            cluster.drop_database(template)
            for child in entry.iterdir():
                child.unlink()
            entry.rmdir()
