"""Running the engine on a stack pointed at a legacy database, keeping whatever happened (the adoption tests assert on
what the output says, and bench/adoption_bench.py times it)."""

from __future__ import annotations

import contextlib
import re
import time
from dataclasses import dataclass
from typing import Callable, Iterator, Optional

from pulumi import automation as auto

from tests.support.cluster import Cluster
from tests.support.deploy import DeployedStack, stack_for

from . import legacy_db
from .legacy_db import LegacyDatabase

_ERROR_LINE = re.compile(r"psycopg\.errors\.\w+:|^\s*(HINT|DETAIL):|\berror: (?!Traceback)|RunError")


@dataclass(frozen=True)
class EngineRun:
    ok: bool
    output: str  # stdout and stderr (the error's text when the command failed)
    seconds: float = 0.0

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.output.strip().splitlines()[-lines:])

    def errors(self) -> str:
        """The lines that say what failed (database errors, the engine's error lines), then the resource summary."""
        lines = self.output.splitlines()
        wanted = [line for line in lines if _ERROR_LINE.search(line)]
        start = next((i for i, line in enumerate(lines) if line.startswith("Resources:")), len(lines))
        return "\n".join([*dict.fromkeys(wanted), *lines[start:start + 6]]) or self.tail()


def run_engine(command: Callable[[], object]) -> EngineRun:
    started = time.monotonic()
    try:
        result = command()
    except auto.CommandError as failure:
        return EngineRun(False, str(failure), time.monotonic() - started)
    return EngineRun(True, f"{result.stdout}\n{result.stderr}", time.monotonic() - started)


@contextlib.contextmanager
def legacy_stack(cluster: Cluster, extra_config: Optional[dict] = None, keep: bool = False,
                 **options) -> Iterator[tuple[LegacyDatabase, DeployedStack]]:
    """A legacy database (legacy_db.build_legacy_database options) and a stack pointed at it; afterwards the stack's
    state is removed and the database dropped (unless `keep`)."""
    legacy = legacy_db.build_legacy_database(cluster, **options)
    stack = stack_for(cluster, legacy.name, extra_config)
    try:
        yield legacy, stack
    finally:
        if not keep:
            try:
                stack.remove()
            finally:
                cluster.drop_database(legacy.name)
