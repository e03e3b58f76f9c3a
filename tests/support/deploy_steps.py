"""Deploys one step at a time, to look at the database between any two steps of a real `pulumi up`.

Every provider transaction takes the kit's deploy lock first (scheduler_kit/sql/common/deploy_lock.sql). A test
connection that holds the same advisory lock is a turnstile: the deploy's next transaction waits on it, and the
test lets exactly one through (release, which grants the lock to the waiting transaction at once, then queue for it again: the test gets it
back as soon as that one transaction ends, before the engine's next one asks).
Between two turns the database is exactly what a deploy stopped there would leave, because each step is its own
transaction. The product code knows nothing of this.

A stop for real: at the chosen turn the database refuses the deployer (connections disallowed, the waiting
transaction terminated), so the provider call fails as it would on a lost connection, and `pulumi up` ends with an
error after exactly that many steps. Or the CLI alone is killed (SIGKILL) there, and its orphaned provider commits
the step it was about to apply, which the state never records.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo
from pulumi import automation as auto

from tests.support.database_snapshot import database_snapshot
from tests.support.deploy import DeployedStack

DEPLOY_LOCK = 7305123984112650241
MUTATIONS = {"create", "update", "replace", "create-replacement", "delete", "delete-replaced"}
WAITING = """
SELECT pid FROM pg_stat_activity a JOIN pg_locks l USING (pid)
 WHERE a.datname = %(db)s AND l.locktype = 'advisory' AND NOT l.granted
   AND (l.classid::bigint << 32 | l.objid::bigint) = %(key)s AND a.pid <> pg_backend_pid()
"""


@dataclass
class StepRun:
    """What one turnstile run saw: the observation after each turn, and the engine's steps in order."""
    observations: list = field(default_factory=list)
    steps: list = field(default_factory=list)  # (op, resource name) of each mutating step, engine order
    error: Optional[BaseException] = None
    turns: int = 0
    orphan_applied: bool = False  # after a kill of the CLI alone: its provider went on with the next step


def _steps_of(events: list) -> list:
    steps = []
    for event in events:
        outputs = getattr(event, "res_outputs_event", None)
        if outputs is None or outputs.metadata is None:
            continue
        op = getattr(outputs.metadata.op, "value", str(outputs.metadata.op))
        if op in MUTATIONS and "dynamic" in outputs.metadata.type:
            steps.append((op, outputs.metadata.urn.rsplit("::", 1)[-1]))
    return steps


def _wait_for_waiter(admin: psycopg.Connection, database: str, done: threading.Event, timeout: float = 60) -> bool:
    """True when a deploy transaction waits on the lock; False when the deploy ended instead."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if admin.execute(WAITING, {"db": database, "key": DEPLOY_LOCK}).fetchone():
            return True
        if done.is_set():
            return False
        time.sleep(0.01)
    raise TimeoutError("the deploy neither ended nor asked for the deploy lock within a minute")


def _refuse_deployer(admin: psycopg.Connection, database: str) -> None:
    admin.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(sql.Identifier(database)))
    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                  " WHERE datname = %s AND pid <> pg_backend_pid() AND usename <> current_user", (database,))


def _allow_deployer(admin: psycopg.Connection, database: str) -> None:
    admin.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true").format(sql.Identifier(database)))


def _children(pid: int) -> dict[int, int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    return parents


def _descendants(pid: int) -> list[int]:
    parents, found, frontier = _children(pid), [], [pid]
    while frontier:
        parent = frontier.pop()
        kids = [p for p, pp in parents.items() if pp == parent]
        found += kids
        frontier += kids
    return found


def _pulumi_cli() -> int:
    for pid in _descendants(os.getpid()):
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == "pulumi":
                return pid
        except OSError:
            continue
    raise RuntimeError("no pulumi CLI runs under this test")


# What the orphaned provider's one step could change: the catalog (tests/support/database_snapshot.sql) and the
# jobs' rows (the Job resources write rows, not catalog entries).
JOB_ROWS = """
SELECT CASE WHEN pg_catalog.to_regclass('public.job_schedules') IS NOT NULL
            THEN md5(query_to_xml('SELECT * FROM public.job_schedules ORDER BY 1', true, false, '')::text) END
"""


def _fingerprint(dsn: str) -> tuple:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return tuple(database_snapshot(conn)), conn.execute(JOB_ROWS).fetchone()[0]


def _kill_cli_alone(admin: psycopg.Connection, gate: psycopg.Connection, stack: DeployedStack) -> bool:
    """SIGKILL the CLI only, then let its orphaned provider go on: the transaction it was waiting to run commits,
    unrecorded in the state. True when it did change the database. Afterwards the orphans (left running for many
    minutes otherwise) are stopped."""
    cli = _pulumi_cli()
    orphans = _descendants(cli)
    (waiter,) = admin.execute(WAITING, {"db": stack.database, "key": DEPLOY_LOCK}).fetchone()
    before = _fingerprint(stack.admin_dsn)
    os.kill(cli, signal.SIGKILL)
    gate.execute("SELECT pg_advisory_unlock(%s)", (DEPLOY_LOCK,))
    # The unlock grants the lock to the waiting transaction: from here the orphaned provider applies its step. It
    # may have committed already (a short step), so that it is seen holding the lock or not, the database tells.
    took_lock = admin.execute("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = %s AND locktype = 'advisory'"
                              " AND granted)", (waiter,)).fetchone()[0]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND usename = 'postgres'"
            " AND state <> 'idle'", (stack.database,)).fetchone()[0]:
        time.sleep(0.05)
    time.sleep(1)  # whatever the orphans still start in that second may commit too
    # A step that changes nothing the fingerprint reads (RLS its table's create already forced) and commits before
    # `took_lock` is read leaves only this: its session is still there and idle, so its client, the orphaned provider,
    # was alive to finish the transaction (a backend whose client has died ends on its next write to it).
    finished = admin.execute("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %s AND state = 'idle')",
                             (waiter,)).fetchone()[0]
    for pid in orphans:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return took_lock or finished or _fingerprint(stack.admin_dsn) != before


def up_step_by_step(stack: DeployedStack, observe: Callable[[int], object], stop_after: Optional[int] = None,
                    operation: str = "up", kill_cli_after: Optional[int] = None, **options) -> StepRun:
    """`pulumi up` (or `operation`: destroy) with parallel 1, calling `observe(turn)` after every provider
    transaction (turn 0: before the first). With `stop_after=k`, the database refuses the deployer at the (k+1)-th
    transaction instead, and the run ends there (`error` holds the engine's failure)."""
    run = StepRun()
    events: list = []
    done = threading.Event()

    def deploy():
        try:
            getattr(stack, operation)(parallel=1, on_event=events.append, **options)
        except BaseException as error:  # noqa: BLE001 - reported to the caller
            run.error = error
        finally:
            done.set()

    # The turnstile on the deployed database (advisory locks are per database), the refusal from the maintenance one.
    with psycopg.connect(make_conninfo(stack.admin_dsn, dbname="postgres"), autocommit=True) as admin, \
            psycopg.connect(stack.admin_dsn, autocommit=True) as gate:
        gate.execute("SELECT pg_advisory_lock(%s)", (DEPLOY_LOCK,))
        thread = threading.Thread(target=deploy, daemon=True)
        thread.start()
        try:
            run.observations.append(observe(0))
            while _wait_for_waiter(admin, stack.database, done):
                if kill_cli_after is not None and run.turns == kill_cli_after:
                    run.orphan_applied = _kill_cli_alone(admin, gate, stack)
                    thread.join(300)
                    break
                if stop_after is not None and run.turns == stop_after:
                    _refuse_deployer(admin, stack.database)
                    gate.execute("SELECT pg_advisory_unlock(%s)", (DEPLOY_LOCK,))
                    thread.join(300)
                    _allow_deployer(admin, stack.database)
                    break
                gate.execute("SELECT pg_advisory_unlock(%s)", (DEPLOY_LOCK,))
                # The unlock grants the lock to the waiting transaction at once; queue behind it: granted when it
                # ends, before the engine can start the next one.
                gate.execute("SELECT pg_advisory_lock(%s)", (DEPLOY_LOCK,))
                run.turns += 1
                run.observations.append(observe(run.turns))
        finally:
            _allow_deployer(admin, stack.database)
            gate.execute("SELECT pg_advisory_unlock_all()")
            thread.join(300)
    run.steps = _steps_of(events)
    return run
