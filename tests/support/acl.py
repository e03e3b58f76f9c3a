"""The live privileges of the kit's objects against the plan's (scheduler_kit.model.object_acls), for every role
of the cluster; shared by the catalog tests and the Supabase engine tests."""

from __future__ import annotations

import psycopg

from scheduler_kit.model import Planned, object_acls

_GRANTEE = "CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee) END"
LIVE_ACL = {
    "table": f"""
        SELECT {_GRANTEE}, x.privilege_type
          FROM pg_class c, aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) x
         WHERE c.oid = to_regclass(%(object)s) AND x.grantee <> c.relowner""",
    "function": f"""
        SELECT {_GRANTEE}, x.privilege_type
          FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) x
         WHERE p.oid = to_regprocedure(%(object)s) AND x.grantee <> p.proowner""",
    "schema": f"""
        SELECT {_GRANTEE}, x.privilege_type
          FROM pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) x
         WHERE n.nspname = %(object)s AND x.grantee <> n.nspowner""",
}
LIVE_COLUMN_ACL = f"""
    SELECT {_GRANTEE}, x.privilege_type, a.attname
      FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped,
           aclexplode(a.attacl) x
     WHERE c.oid = to_regclass(%(object)s) AND x.grantee <> c.relowner"""


def acl_differences(conn: psycopg.Connection, plan: list[Planned]) -> list[str]:
    """Every object whose live privileges (table, column, function or schema; the owner's own aside) differ from
    the plan's, described; empty when the database holds exactly what the plan grants."""
    wrong = []
    for (object_type, name), by_grantee in sorted(object_acls(plan).items()):
        live: dict[str, set] = {}
        for grantee, privilege in conn.execute(LIVE_ACL[object_type], {"object": name}):
            live.setdefault(grantee, set()).add(privilege)
        expected = {g: set(v["privileges"]) for g, v in by_grantee.items() if v["privileges"]}
        if live != expected:
            wrong.append(f"{object_type} {name}: live {dict(sorted(live.items()))} != plan {dict(sorted(expected.items()))}")
        if object_type == "table":
            live_columns: dict[str, dict[str, set]] = {}
            for grantee, privilege, column in conn.execute(LIVE_COLUMN_ACL, {"object": name}):
                live_columns.setdefault(grantee, {}).setdefault(privilege, set()).add(column)
            expected_columns = {g: {p: set(c) for p, c in v["columns"].items()}
                                for g, v in by_grantee.items() if v["columns"]}
            if live_columns != expected_columns:
                wrong.append(f"columns of {name}: live {live_columns} != plan {expected_columns}")
    return wrong
