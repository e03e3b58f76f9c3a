"""Everything a deploy could change in a database's own schemas, one row per fact (database_snapshot.sql): two
snapshots are equal exactly when nothing of it differs. The adoption tests compare a database before and after a
refused deploy; the deploy-stop tests compare a stopped-then-finished deploy with a clean one."""

from __future__ import annotations

from pathlib import Path

import psycopg

SNAPSHOT_SQL = Path(__file__).with_name("database_snapshot.sql").read_text(encoding="utf-8")


def database_snapshot(conn: psycopg.Connection) -> list[tuple[str, str, str]]:
    """Every schema, relation, column, constraint, index, trigger, policy and function of the database, with ACLs."""
    return [tuple(row) for row in conn.execute(SNAPSHOT_SQL).fetchall()]


def snapshot_difference(before: list[tuple], after: list[tuple], limit: int = 20) -> list[str]:
    """What changed between two snapshots, as readable lines (at most `limit` of each side)."""
    old, new = set(before), set(after)
    gone = sorted(old - new)[:limit]
    came = sorted(new - old)[:limit]
    return [f"- {kind} {name}: {detail}" for kind, name, detail in gone] + \
           [f"+ {kind} {name}: {detail}" for kind, name, detail in came]
