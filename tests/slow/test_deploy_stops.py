"""Every moment of a deploy is safe (issue 17): on the Supabase-shaped profile, whose default privileges give anon,
authenticated and service_role ALL on every table and function `postgres` creates in `public`, a `pulumi up`
looked at after each of its steps (tests/support/deploy_steps.py) never lets any role do more than the finished
deployment lets it, from the catalog and from real sessions of anon, a regular user and an admin (through
authenticator, with signed tokens, as PostgREST does); no kit table is without forced RLS while an API role holds a
privilege on it; the history is untouched. A deploy stopped for real after step k (the database refuses the
deployer) leaves the same, and the next `pulumi up` converges to what a clean deploy gives.

Fresh deploys and the upgrade from the previous release's state are looked at after every step. Real stops: a
sample of steps, every step with SCHEDKIT_EVERY_STOP=1. Those engine runs take minutes and run under
SCHEDKIT_DEPLOY_STOPS=1 (`make test-deploy-stops`, a CI step); the migration file's statement groups, applied one at
a time, are checked the same way (from the catalog) in every run.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg
import pytest
from psycopg import errors
from pulumi import automation as auto

from scheduler_kit.model import object_acls
from tests.policy.harness import ADMIN_SUB, JOB, REGULAR_SUB, Totals, load_matrix, run, seed, statement, token_for
from tests.support.acl import LIVE_ACL, LIVE_COLUMN_ACL
from tests.support.database_snapshot import database_snapshot, snapshot_difference
from tests.support.deploy import DeployedStack, deployed_database, stack_for
from tests.support.deploy_steps import up_step_by_step
from tests.support.outcomes import RANK, losses
from tests.support.plan import kit_plan
from tests.support.toolchain import ROOT

# The release before issue 17: the upgrade starts from the state it leaves.
PREVIOUS_RELEASE = "9048d6d"
PLAN = kit_plan("supabase")
ACLS = object_acls(PLAN)
TABLES = sorted(name for kind, name in ACLS if kind == "table")
API_ROLES = ("PUBLIC", "anon", "authenticated", "service_role")
ACTORS = ("anon", "regular", "admin")
# Every cell of those actors, but UPDATE on only the columns that differ: one no role may change and the ones
# admins may (COLUMN_GRANTS): the others behave as the first, and each cell costs a few round trips per turn.
UPDATE_COLUMNS = {"job_schedules": {"job_name", "cron_expression", "enabled"}, "scheduled_jobs": {"status"},
                  "job_execution_rollups": {"job_name"}, "users": {"role"}}
CELLS = [c for c in load_matrix("supabase") if c.actor in ACTORS
         and (c.operation != "UPDATE" or c.column in UPDATE_COLUMNS.get(c.object, ()))]
KNOWN = Totals({t: None for t in ("job_schedules", "scheduled_jobs", "users", "job_execution_rollups")},
               tuple(sorted({JOB, "matrix-disabled", "matrix-retired", "matrix-unscheduled"})))
EMPTY = "d41d8cd98f00b204e9800998ecf8427e"  # md5('')
HISTORY = ("SELECT md5(coalesce(string_agg(h::text, ',' ORDER BY h.id), '')) FROM public.scheduled_jobs h",
           "SELECT md5(coalesce(string_agg(j::text, ',' ORDER BY j.job_name), '')) FROM public.job_schedules j")


def every_stop() -> bool:
    return os.environ.get("SCHEDKIT_EVERY_STOP") == "1"


# Minutes, not seconds (about a second per look on this 2-core machine, a hundred looks per deploy): only under
# SCHEDKIT_DEPLOY_STOPS=1, which `make test-deploy-stops` sets (CI runs it as its own step, .ci/run), so `make test`
# keeps its time. The migration test below runs everywhere.
engine_runs = pytest.mark.skipif(os.environ.get("SCHEDKIT_DEPLOY_STOPS") != "1",
                                 reason="the deploy-stop tests take minutes: make test-deploy-stops")


def _outcome(actor_conn, gateway, tokens, cell) -> str:
    sql_text, params = statement(cell, KNOWN)
    try:
        return run(actor_conn, gateway, token_for(cell.actor, tokens), sql_text, params,
                   function=cell.kind == "function")
    except (errors.UndefinedTable, errors.UndefinedFunction, errors.UndefinedColumn, errors.InvalidSchemaName):
        return "absent"


def observe(stack: DeployedStack, gateway, tokens, sessions: bool = True) -> dict:
    """The database as the catalog and (with `sessions`) the actors see it now."""
    acl, rls, history = {}, {}, []
    with psycopg.connect(stack.admin_dsn, autocommit=True) as conn:
        for (kind, name) in ACLS:
            held = {(g, p) for g, p in conn.execute(LIVE_ACL[kind], {"object": name})}
            if kind == "table":
                held |= {(g, f"{p} ({c})") for g, p, c in conn.execute(LIVE_COLUMN_ACL, {"object": name})}
                flags = conn.execute("SELECT relrowsecurity, relforcerowsecurity FROM pg_class"
                                     " WHERE oid = to_regclass(%s)", (name,)).fetchone()
                if flags:
                    rls[name] = flags
            acl[f"{kind} {name}"] = held
        policies = {tuple(map(str, row)) for row in conn.execute(
            "SELECT tablename, policyname, permissive, roles, cmd, qual, with_check FROM pg_policies"
            " WHERE schemaname = 'public' AND tablename = ANY(%s)", ([t.split(".")[1] for t in TABLES],))}
        for query in HISTORY:
            try:
                history.append(conn.execute(query).fetchone()[0])
            except errors.UndefinedTable:  # no table yet: no history, as an empty one
                history.append(EMPTY)
    outcomes = {}
    if sessions:
        with psycopg.connect(stack.actor_dsn, autocommit=True) as actor:
            outcomes = {cell.label: _outcome(actor, gateway, tokens, cell) for cell in CELLS}
    return {"acl": acl, "rls": rls, "policies": policies, "sessions": outcomes, "history": history}


def exposures(seen: dict, final: dict, history: list) -> list[str]:
    """What `seen` allows beyond `final`, described; empty when a stop there is safe."""
    found = []
    for obj, held in seen["acl"].items():
        beyond = held - final["acl"][obj]
        if beyond:
            found.append(f"{obj}: {', '.join(f'{g} {p}' for g, p in sorted(beyond))} beyond the final ACL")
    for table, (enabled, forced) in seen["rls"].items():
        api = sorted({g for g, _ in seen["acl"][f"table {table}"] if g in API_ROLES})
        if api and not (enabled and forced):
            found.append(f"table {table}: RLS {'enabled' if enabled else 'off'}{'' if forced else ', not forced'}"
                         f" while {', '.join(api)} hold privileges on it")
    for policy in sorted(seen["policies"] - final["policies"]):
        found.append(f"policy {policy[1]} on {policy[0]} is not a final one: {policy}")
    for label, outcome in seen["sessions"].items():
        if RANK[outcome] > RANK[final["sessions"][label]]:
            found.append(f"session {label}: {outcome} (finally {final['sessions'][label]})")
    if seen["history"] != history:
        found.append(f"history changed: {seen['history']} != {history}")
    return found


def snapshot(dsn: str) -> list:
    with psycopg.connect(dsn) as conn:
        return database_snapshot(conn)


def assert_converged(dsn: str, reference: dict, what: str) -> None:
    """The database equals the clean deploy's, fact by fact (tests/support/database_snapshot.sql)."""
    difference = snapshot_difference(reference["snapshot"], snapshot(dsn))
    assert not difference, f"{what}: not the database a clean deploy gives (- clean, + this one):\n" + "\n".join(difference)


def new_stack(cluster, prefix: str) -> DeployedStack:
    database = cluster.create_database(prefix)
    with psycopg.connect(cluster.admin_dsn_for(database), autocommit=True) as conn:
        conn.execute("INSERT INTO public.users (clerk_user_id, role) VALUES (%s, 'admin'), (%s, 'user')",
                     (ADMIN_SUB, REGULAR_SUB))
    return stack_for(cluster, database)


def discard(cluster, stack: DeployedStack) -> None:
    try:
        stack.remove()
    finally:
        cluster.drop_database(stack.database)


def summary(label: str, lines: list[str]) -> str:
    """The exposures, all of them in .local/deploy-stops-<label>.txt, and per stop point in the message: how many,
    and on what."""
    out = ROOT / ".local" / f"deploy-stops-{label}.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    by_stop: dict[str, list[str]] = {}
    for line in lines:
        stop, _, what = line.partition("]: ")
        by_stop.setdefault(stop + "]", []).append(what.split(":")[0])
    return "\n".join([f"{len(lines)} exposures at {len(by_stop)} stop points (all in {out}):"] + [
        f"  {stop}: {len(whats)}, on {', '.join(sorted(set(whats)))}" for stop, whats in by_stop.items()])


def report(label: str, run, final: dict, history: list) -> list[str]:
    """Each unsafe stop, named by the step after which it was seen (the engine's order; the first turns are the
    admin lookup's checks, which take the deploy lock too)."""
    checks = ["(admin lookup check)"] * (run.turns - len(run.steps))  # at registration, in preview and in update
    names = ["(before the first step)", *checks, *(f"{op} {name}" for op, name in run.steps)]
    lines = []
    for turn, seen in enumerate(run.observations):
        for exposure in exposures(seen, final, history):
            step = names[turn] if turn < len(names) else f"turn {turn}"
            lines.append(f"{label} after turn {turn} [{step}]: {exposure}")
    return lines


@pytest.fixture(scope="module")
def reference(supabase_cluster, gateway, tokens):
    """A clean deploy: its catalog and what the actors see in it are the end state every stop is held to; the
    number of its steps sets the stop points."""
    stack = new_stack(supabase_cluster, "schedkit_stops_ref")
    try:
        run = up_step_by_step(stack, lambda turn: None)
        assert run.error is None, run.error
        yield {"snapshot": snapshot(stack.admin_dsn), "observed": observe(stack, gateway, tokens),
               "steps": len(run.steps)}
    finally:
        discard(supabase_cluster, stack)


@engine_runs
def test_a_fresh_deploy_exposes_nothing_between_any_two_steps(supabase_cluster, reference, gateway, tokens):
    stack = new_stack(supabase_cluster, "schedkit_stops_fresh")
    try:
        run = up_step_by_step(stack, lambda turn: observe(stack, gateway, tokens))
        assert run.error is None, run.error
        history = run.observations[0]["history"]
        label = "fresh"
        lines = report(label, run, reference["observed"], history)
        print(f"fresh deploy: {run.turns} provider transactions, {len(run.steps)} steps, {len(lines)} exposures")
        assert len(run.steps) == len(PLAN), run.steps  # one create per planned object: each step was looked after
        assert not lines, summary(label, lines)
        assert_converged(stack.admin_dsn, reference, "the next up")
    finally:
        discard(supabase_cluster, stack)


def deploy_previous_release(stack: DeployedStack, tmp_path: Path) -> None:
    """The release before this one, deployed into the stack's database by its own code (the upgrade's start)."""
    old = tmp_path / "previous-release"
    old.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", PREVIOUS_RELEASE], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
    config = f"Pulumi.{stack.stack.name}.yaml"
    (old / config).write_bytes((ROOT / config).read_bytes())  # same secrets salt and settings
    (old / ".venv").symlink_to(ROOT / ".venv")
    previous = auto.select_stack(stack.stack.name, work_dir=str(old),
                                 opts=auto.LocalWorkspaceOptions(env_vars={"PYTHONPATH": str(old)}))
    previous.up(color="never")


@engine_runs
def test_an_upgrade_from_the_previous_release_exposes_nothing_and_converges(supabase_cluster, reference, gateway,
                                                                            tokens, tmp_path):
    stack = new_stack(supabase_cluster, "schedkit_stops_upgrade")
    try:
        deploy_previous_release(stack, tmp_path)
        with psycopg.connect(stack.actor_dsn) as actor:
            seed(actor)
            actor.commit()
        run = up_step_by_step(stack, lambda turn: observe(stack, gateway, tokens))
        assert run.error is None, run.error
        history = run.observations[0]["history"]
        assert EMPTY not in history
        # The previous release's final state is the yardstick for its own tables' sessions (they hold rows now).
        label = "upgrade"
        lines = report(label, run, {**reference["observed"], "sessions": run.observations[-1]["sessions"]},
                       history)
        print(f"upgrade: {run.turns} provider transactions, {len(run.steps)} steps, {len(lines)} exposures")
        assert not lines, summary(label, lines)
        # The release upgraded from managed privileges with a Grant resource per role; the upgrade replaces them by
        # one Privileges resource per object and deletes the Grants last: their deletes must revoke nothing.
        assert {name.split("-", 1)[0] for op, name in run.steps if op == "delete"} >= {"grant", "privileges"}
        lost = [f"upgrade after turn {turn}: {loss}" for turn, seen in enumerate(run.observations)
                for loss in losses(seen, run.observations[0], run.observations[-1])]
        assert not lost, summary("upgrade-losses", lost)
        stack.preview(expect_no_changes=True)
        assert_converged(stack.admin_dsn, reference, "the next up")
    finally:
        discard(supabase_cluster, stack)


def stop_points(steps: int) -> list[int]:
    """Every step with SCHEDKIT_EVERY_STOP=1; else four spread over the deploy (each costs two engine runs)."""
    if every_stop():
        return list(range(1, steps))
    return sorted({steps // 4, steps // 2, (3 * steps) // 4, steps - 1})


@engine_runs
def test_a_deploy_stopped_after_any_step_exposes_nothing_and_the_next_up_converges(supabase_cluster, reference,
                                                                                  gateway, tokens):
    # Turns count provider transactions; the admin lookup's check adds one or not, so stop by steps, below the last.
    steps = reference["steps"]
    lines = []
    for k in stop_points(steps):
        stack = new_stack(supabase_cluster, "schedkit_stops_k")
        try:
            run = up_step_by_step(stack, lambda turn: None, stop_after=k)
            assert run.error is not None and run.turns == k, (k, run.turns, run.error)
            seen = observe(stack, gateway, tokens)
            lines += [f"stopped after turn {k} [a real stop]: {e}" for e in exposures(seen, reference["observed"], seen["history"])]
            stack.up()
            assert_converged(stack.admin_dsn, reference, f"stopped after turn {k}, then up")
            print(f"stopped after turn {k}: {len(lines)} exposures so far, converged", flush=True)
        finally:
            discard(supabase_cluster, stack)
    print(f"real stops: {len(stop_points(steps))} of {steps - 1} stop points")
    assert not lines, summary("stopped", lines)


@engine_runs
def test_a_destroy_never_leaves_a_reachable_table_with_fewer_policies(supabase_cluster, gateway, tokens):
    """Item 5: the grants go first, then the policies, then the table (RLS stays on until the table goes)."""
    stack = new_stack(supabase_cluster, "schedkit_stops_destroy")
    try:
        stack.up()
        final = observe(stack, gateway, tokens)
        policies = {table: {p for p in final["policies"] if p[0] == table.split(".")[1]} for table in TABLES}
        assert all(policies.values()), policies
        run = up_step_by_step(stack, lambda turn: observe(stack, gateway, tokens), operation="destroy")
        assert run.error is None, run.error
        lines = []
        for turn, seen in enumerate(run.observations):
            for table in TABLES:
                reachable = sorted({g for g, _ in seen["acl"][f"table {table}"] if g in API_ROLES if g != "service_role"})
                missing = policies[table] - seen["policies"]
                if table in seen["rls"] and reachable and (missing or seen["rls"][table] != (True, True)):
                    lines.append(f"after turn {turn}: {table} reachable by {', '.join(reachable)} with "
                                 f"{len(missing)} of its policies gone, RLS {seen['rls'][table]}")
            lines += [f"after turn {turn}: {e}" for e in exposures(seen, final, seen["history"])]
        print(f"destroy: {run.turns} provider transactions, {len(lines)} unsafe")
        assert run.turns >= 30 and not run.observations[-1]["rls"], run.turns
        assert not lines, "\n".join(lines[:40])
    finally:
        discard(supabase_cluster, stack)


# An existing object the kit adopts with wider grants than the model's: narrowed at its own step.
ADOPTED = """
CREATE SCHEMA scheduler_private;
GRANT ALL ON SCHEMA scheduler_private TO PUBLIC, anon, authenticated, service_role;
"""


@pytest.mark.parametrize("adopting", [False, True], ids=["empty database", "adopting a wide-open schema"])
def test_the_migration_file_makes_each_object_private_in_the_group_that_creates_it(supabase_cluster, gateway, tokens,
                                                                                   adopting):
    """`make sql` runs the plan's statement groups in order in one transaction; applied one group per transaction
    (a migration tool that stops between them), no group leaves more open than the end state."""
    database = supabase_cluster.create_database("schedkit_stops_sql")
    if adopting:
        with psycopg.connect(supabase_cluster.dsn_for(database), autocommit=True) as conn:
            conn.execute(ADOPTED)
    stack = DeployedStack(stack=None, database=database, dsn=supabase_cluster.dsn_for(database),
                          actor_dsn=supabase_cluster.actor_dsn_for(database),
                          admin_dsn=supabase_cluster.admin_dsn_for(database))
    try:
        initial = observe(stack, gateway, tokens, sessions=False)
        seen = []
        with psycopg.connect(stack.dsn, autocommit=True) as conn:
            for item in PLAN:
                with conn.transaction():
                    for statement_text in item.script():
                        conn.execute(statement_text)
                seen.append((item.key, observe(stack, gateway, tokens, sessions=False)))
        final = seen[-1][1]
        # What the database came with may stay open until the step that adopts the object, never longer.
        came_with = set(exposures(initial, final, initial["history"]))
        lines, adopted = [], set()
        for key, look in seen:
            adopted |= {e for e in came_with if e.startswith(f"{key.split('-', 1)[0]} {key.split('-', 1)[1]}:")}
            lines += [f"after {key}: {e}" for e in exposures(look, final, look["history"])
                      if e not in came_with or e in adopted]
        kinds = {key.split("-", 1)[0] for key, _ in seen}  # every kind of object was looked after
        assert kinds >= {"schema", "table", "rls", "policy", "function", "trigger", "privileges"}, kinds
        assert not lines, "\n".join(lines[:40] + [f"({len(lines)} in all)"])
        assert bool(came_with) == adopting and adopted == came_with
    finally:
        supabase_cluster.drop_database(database)


@engine_runs
def test_a_cli_killed_alone_whose_provider_goes_on_is_made_whole_by_the_next_up(supabase_cluster, reference,
                                                                                gateway, tokens):
    """The CLI is SIGKILLed between two steps; its provider still commits the next one, which the state does not
    record; the stack is left locked. What it committed is private; `pulumi cancel` and the next up converge."""
    lines = []
    for k in (reference["steps"] // 3, (2 * reference["steps"]) // 3):
        stack = new_stack(supabase_cluster, "schedkit_stops_kill")
        try:
            run = up_step_by_step(stack, lambda turn: None, kill_cli_after=k)
            assert run.error is not None, f"killed after turn {k}: the up did not fail"
            assert run.orphan_applied, f"killed after turn {k}: the provider did not go on; nothing to prove"
            seen = observe(stack, gateway, tokens)
            lines += [f"killed after turn {k} [the CLI alone]: {e}"
                      for e in exposures(seen, reference["observed"], seen["history"])]
            stack.stack.cancel()  # the lock the killed CLI left (the make targets name this command)
            stack.up()
            assert_converged(stack.admin_dsn, reference, f"killed after turn {k}, then up")
            stack.preview(expect_no_changes=True)
        finally:
            discard(supabase_cluster, stack)
    assert not lines, summary("killed", lines)
