"""Deploys the kit into a database through the real Pulumi engine (Automation API), one stack per database."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from pulumi import automation as auto

from .cluster import Cluster
from .toolchain import ROOT, ensure_pulumi_environment


@dataclass
class DeployedStack:
    stack: auto.Stack
    database: str
    dsn: str  # the deploying role (set-up and inspection)
    actor_dsn: str  # authenticator: every actor statement goes through it
    admin_dsn: str  # the cluster's bootstrap superuser on this database (hand edits a superuser would make)

    def up(self, **kwargs) -> auto.UpResult:
        return self.stack.up(color="never", **kwargs)

    def preview(self, **kwargs) -> auto.PreviewResult:
        return self.stack.preview(color="never", **kwargs)

    def refresh(self, **kwargs) -> auto.RefreshResult:
        return self.stack.refresh(color="never", **kwargs)

    def destroy(self, **kwargs) -> auto.DestroyResult:
        return self.stack.destroy(color="never", **kwargs)

    def remove(self) -> None:
        try:
            self.stack.workspace.remove_stack(self.stack.name, force=True)
        except auto.ConcurrentUpdateError:
            # The lock of a killed CLI, left by a test that failed before its own `pulumi cancel`: the stack is
            # thrown away either way, and the test's own failure is the one to report.
            self.stack.cancel()
            self.stack.workspace.remove_stack(self.stack.name, force=True)


def stack_for(cluster: Cluster, database: str, extra_config: dict[str, str] | None = None,
              work_dir: Path = ROOT, env_vars: dict[str, str] | None = None) -> DeployedStack:
    """`work_dir`: another copy of the program (a test's edited kit), with `env_vars` for the engine's processes."""
    ensure_pulumi_environment()
    params = cluster.params()
    opts = auto.LocalWorkspaceOptions(env_vars=env_vars) if env_vars else None
    stack = auto.create_or_select_stack(stack_name=f"test-{database}", work_dir=str(work_dir), opts=opts)
    config = {
        "scheduler-kit:target": auto.ConfigValue(cluster.target),
        "scheduler-kit:host": auto.ConfigValue(params.get("host", "127.0.0.1")),
        "scheduler-kit:port": auto.ConfigValue(str(params.get("port", 5432))),
        "scheduler-kit:database": auto.ConfigValue(database),
        "scheduler-kit:user": auto.ConfigValue(params.get("user", "postgres")),
        "scheduler-kit:password": auto.ConfigValue(params.get("password", ""), secret=True),
        "scheduler-kit:sslmode": auto.ConfigValue(params.get("sslmode", "disable")),
        "scheduler-kit:protectHistory": auto.ConfigValue("false"),
        "scheduler-kit:jobsFile": auto.ConfigValue(str(Path(__file__).with_name("no-jobs.yaml"))),
    }
    for key, value in (extra_config or {}).items():
        config[f"scheduler-kit:{key}"] = auto.ConfigValue(value)
    stack.set_all_config(config)
    return DeployedStack(stack=stack, database=database, dsn=cluster.dsn_for(database),
                         actor_dsn=cluster.actor_dsn_for(database), admin_dsn=cluster.admin_dsn_for(database))


@contextlib.contextmanager
def deployed_database(cluster: Cluster, prefix: str = "schedkit_test",
                      extra_config: dict[str, str] | None = None) -> Iterator[DeployedStack]:
    """A fresh database with the kit deployed by the engine; destroyed and dropped afterwards."""
    database = cluster.create_database(prefix)
    stack = stack_for(cluster, database, extra_config)
    try:
        stack.up()
        yield stack
    finally:
        try:
            stack.destroy()
            stack.remove()
        finally:
            cluster.drop_database(database)
