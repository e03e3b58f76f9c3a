"""Exposure through objects the kit does not own. PostgREST serves every function and view of its exposed schemas
(`public` by default; POLICY_TEST_EXPOSED_SCHEMAS=public,api,... for more). One that an API role may call and that
acts with another role's rights (SECURITY DEFINER, or a view without security_invoker), owned by a role that can
reach a kit table (a superuser, a BYPASSRLS role such as Supabase's postgres, or a holder of a privilege on it), can
read or write the history around every policy.

Which tables such a function actually touches cannot be decided soundly from the catalog (pg_depend records nothing
for a PL/pgSQL body, and dynamic SQL can name any table), and executing an unknown function to find out could change
data. So the audit lists every such object that is not in the kit's plan and fails naming each: the fix is to revoke
the API roles' EXECUTE (or SELECT), make it SECURITY INVOKER / security_invoker, or give it an owner that holds
nothing on the kit's tables."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg

from scheduler_kit.model import API_ROLES
from tests.support.catalog_snapshot import kit_objects
from tests.support.plan import kit_plan

EXPOSURE_SQL = (Path(__file__).resolve().parents[1] / "support" / "foreign_exposure.sql").read_text()
# service_role reads everything anyway (BYPASSRLS): what matters is what the other API roles gain.
CALLERS = [r for r in API_ROLES if r != "service_role"]


def exposed_schemas() -> list[str]:
    return [s.strip() for s in os.environ.get("POLICY_TEST_EXPOSED_SCHEMAS", "public").split(",") if s.strip()]


def test_no_object_outside_the_plan_lets_api_callers_act_with_rights_over_the_kits_tables(policy_dsn, policy_target):
    tables, functions = kit_objects(kit_plan(policy_target))
    with psycopg.connect(policy_dsn) as conn:
        planned = {r[0] for r in conn.execute("SELECT to_regprocedure(f)::text FROM unnest(%s::text[]) f", (functions,))}
        found = conn.execute(EXPOSURE_SQL, {"schemas": exposed_schemas(), "roles": CALLERS, "tables": tables}).fetchall()
    leaks = [f"{kind} {name} ({why}), owned by {owner} ({reach}: {', '.join(reach_tables)}), may be used by "
             f"{', '.join(callers)}" for kind, name, owner, callers, why, reach, reach_tables in found
             if name not in planned]
    assert not leaks, (
        f"objects in the exposed schemas {exposed_schemas()} that API callers may use to act with rights over the "
        "kit's tables, and that the kit's plan does not have (whether they read or write those tables cannot be "
        "told from the catalog, so each is a possible way around the policies):\n  " + "\n  ".join(leaks) +
        "\nfix: REVOKE EXECUTE (or SELECT) from anon and authenticated, make it SECURITY INVOKER (a view: "
        "WITH (security_invoker = true)), or give it an owner with no privilege on the kit's tables")
