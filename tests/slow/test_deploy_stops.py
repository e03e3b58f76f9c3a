"""Every moment of a deploy is safe (issue 17): on the Supabase-shaped profile, whose default privileges give anon,
authenticated and service_role ALL on every table and function `postgres` creates in `public`, a `pulumi up`
looked at after each of its steps (tests/support/deploy_steps.py) never lets any role do more than the finished
deployment lets it, from the catalog and from real sessions of anon, a regular user and an admin (through
authenticator, with signed tokens, as PostgREST does); no kit table is without forced RLS while an API role holds a
privilege on it; the history is untouched. A deploy stopped for real after step k (the database refuses the
deployer) leaves the same, and the next `pulumi up` converges to what a clean deploy gives.

Fresh deploys and the upgrade from the previous release's state are looked at after every step. Real stops: a
sample of steps by default, every step with CI=true or SCHEDKIT_EVERY_STOP=1.
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
from tests.support.deploy import DeployedStack, deployed_database, stack_for
from tests.support.deploy_steps import up_step_by_step
from tests.support.plan import kit_plan
from tests.support.profile import CI_TRUE
from tests.support.toolchain import ROOT

# The release before issue 17: the upgrade starts from the state it leaves.
PREVIOUS_RELEASE = "9048d6d"
PLAN = kit_plan("supabase")
ACLS = object_acls(PLAN)
TABLES = sorted(name for kind, name in ACLS if kind == "table")
API_ROLES = ("PUBLIC", "anon", "authenticated", "service_role")
ACTORS = ("anon", "regular", "admin")
CELLS = [c for c in load_matrix("supabase") if c.actor in ACTORS]
# How far an outcome lets an actor in: a stop may never rank above the finished deployment's outcome.
RANK = {"absent": 0, "denied": 0, "refused": 0, "rejected": 0, "policy": 1, "zero": 1, "invalid": 2, "some": 2,
        "rows": 3}
KNOWN = Totals({t: None for t in ("job_schedules", "scheduled_jobs", "users", "job_execution_rollups")},
               tuple(sorted({JOB, "matrix-disabled", "matrix-retired", "matrix-unscheduled"})))
SNAPSHOT = (Path(__file__).parent / "sql/catalog_snapshot.sql").read_text()
HISTORY = ("SELECT md5(coalesce(string_agg(h::text, ',' ORDER BY h.id), '')) FROM public.scheduled_jobs h",
           "SELECT md5(coalesce(string_agg(j::text, ',' ORDER BY j.job_name), '')) FROM public.job_schedules j")


def every_stop() -> bool:
    return os.environ.get("CI", "").strip().lower() in CI_TRUE or os.environ.get("SCHEDKIT_EVERY_STOP") == "1"


def _outcome(actor_conn, gateway, tokens, cell) -> str:
    sql_text, params = statement(cell, KNOWN)
    try:
        return run(actor_conn, gateway, token_for(cell.actor, tokens), sql_text, params,
                   function=cell.kind == "function")
    except (errors.UndefinedTable, errors.UndefinedFunction, errors.UndefinedColumn, errors.InvalidSchemaName):
        return "absent"


def observe(stack: DeployedStack, gateway, tokens) -> dict:
    """The database as the catalog and the actors see it now."""
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
            except errors.UndefinedTable:
                history.append(None)
    with psycopg.connect(stack.actor_dsn, autocommit=True) as actor:
        sessions = {cell.label: _outcome(actor, gateway, tokens, cell) for cell in CELLS}
    return {"acl": acl, "rls": rls, "policies": policies, "sessions": sessions, "history": history}


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
        return conn.execute(SNAPSHOT).fetchall()


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
    """Each unsafe stop, named by the step after which it was seen (the engine's order; turn 1 is the admin lookup
    check, which takes the deploy lock at registration)."""
    names = ["(before the first step)", "(admin lookup check)"] + [f"{op} {name}" for op, name in run.steps]
    lines = []
    for turn, seen in enumerate(run.observations):
        for exposure in exposures(seen, final, history):
            step = names[turn] if turn < len(names) else f"turn {turn}"
            lines.append(f"{label} after turn {turn} [{step}]: {exposure}")
    return lines


@pytest.fixture(scope="module")
def reference(supabase_cluster, gateway, tokens):
    """A clean deploy: its catalog and what the actors see in it are the end state every stop is held to."""
    with deployed_database(supabase_cluster, "schedkit_stops_ref") as stack:
        with psycopg.connect(stack.admin_dsn, autocommit=True) as conn:
            conn.execute("INSERT INTO public.users (clerk_user_id, role) VALUES (%s, 'admin'), (%s, 'user')",
                         (ADMIN_SUB, REGULAR_SUB))
        yield {"snapshot": snapshot(stack.admin_dsn), "observed": observe(stack, gateway, tokens)}


def test_a_fresh_deploy_exposes_nothing_between_any_two_steps(supabase_cluster, reference, gateway, tokens):
    stack = new_stack(supabase_cluster, "schedkit_stops_fresh")
    try:
        run = up_step_by_step(stack, lambda turn: observe(stack, gateway, tokens))
        assert run.error is None, run.error
        history = run.observations[0]["history"]
        label = "fresh"
        lines = report(label, run, reference["observed"], history)
        print(f"fresh deploy: {run.turns} provider transactions, {len(run.steps)} steps, {len(lines)} exposures")
        assert len(run.steps) >= 60, run.steps
        assert not lines, summary(label, lines)
        assert snapshot(stack.admin_dsn) == reference["snapshot"]
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
    previous = auto.select_stack(stack.stack.name, work_dir=str(old),
                                 opts=auto.LocalWorkspaceOptions(env_vars={"PYTHONPATH": str(old)}))
    previous.up(color="never")


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
        assert None not in history
        # The previous release's final state is the yardstick for its own tables' sessions (they hold rows now).
        label = "upgrade"
        lines = report(label, run, {**reference["observed"], "sessions": run.observations[-1]["sessions"]},
                       history)
        print(f"upgrade: {run.turns} provider transactions, {len(run.steps)} steps, {len(lines)} exposures")
        assert not lines, summary(label, lines)
        stack.preview(expect_no_changes=True)
        assert snapshot(stack.admin_dsn) == reference["snapshot"]
    finally:
        discard(supabase_cluster, stack)


def stop_points(steps: int) -> list[int]:
    if every_stop():
        return list(range(1, steps))
    return sorted({1, 2, 3, steps // 4, steps // 2, (3 * steps) // 4, steps - 1})


def test_a_deploy_stopped_after_any_step_exposes_nothing_and_the_next_up_converges(supabase_cluster, reference,
                                                                                  gateway, tokens):
    probe = new_stack(supabase_cluster, "schedkit_stops_count")
    try:
        turns = up_step_by_step(probe, lambda turn: None).turns
    finally:
        discard(supabase_cluster, probe)
    lines = []
    for k in stop_points(turns):
        stack = new_stack(supabase_cluster, "schedkit_stops_k")
        try:
            run = up_step_by_step(stack, lambda turn: None, stop_after=k)
            assert run.error is not None and run.turns == k, (k, run.turns, run.error)
            seen = observe(stack, gateway, tokens)
            lines += [f"stopped after turn {k}: {e}" for e in exposures(seen, reference["observed"], seen["history"])]
            stack.up()
            assert snapshot(stack.admin_dsn) == reference["snapshot"], f"stopped after turn {k}: no convergence"
        finally:
            discard(supabase_cluster, stack)
    print(f"real stops: {len(stop_points(turns))} of {turns - 1} stop points")
    assert not lines, summary("stopped", lines)
