"""The kit's objects as the catalog defines them, compared fact by fact with what the plan deploys.

The expected definitions are not typed anywhere: the plan (scheduler_kit/model.py) is applied to an empty throwaway
database on the same server (so both sides are printed by the same PostgreSQL version's pg_get_expr,
pg_get_triggerdef, ...), read back with catalog_snapshot.sql, and compared with the audited database. Only what must
differ between two databases is left out (OIDs, owners); a NOT VALID constraint or an invalid index is a difference
of its own, never a silent pass."""

from __future__ import annotations

import contextlib
import secrets
from pathlib import Path
from typing import Iterator

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from scheduler_kit.model import Planned
from scheduler_kit.providers.function import Function
from scheduler_kit.providers.role import Role
from scheduler_kit.providers.table import Table
from tests.support.plan import kit_plan

SNAPSHOT_SQL = (Path(__file__).with_name("catalog_snapshot.sql")).read_text()
Snapshot = dict[tuple[str, str], str]


def kit_objects(plan: list[Planned]) -> tuple[list[str], list[str]]:
    """The plan's tables and function signatures: what the comparison covers (triggers, constraints, indexes and
    policies come with their tables, so ones the plan does not have are differences too)."""
    return ([item.inputs.name for item in plan if item.kind is Table],
            [item.inputs.signature for item in plan if item.kind is Function])


def snapshot(conn: psycopg.Connection, plan: list[Planned]) -> Snapshot:
    tables, functions = kit_objects(plan)
    rows = conn.execute(SNAPSHOT_SQL, {"tables": tables, "functions": functions}).fetchall()
    return {(obj, aspect): value for obj, aspect, value in rows}


def differences(planned: Snapshot, live: Snapshot, explained: frozenset[str] = frozenset()) -> list[str]:
    """Each fact that differs, as `object: aspect: the plan says ..., the database says ...`; `explained` objects
    (kept_not_valid, users_columns) are left to the caller, which reports them."""
    missing_objects = {o for o, _ in planned} - {o for o, _ in live}
    extra_objects = {o for o, _ in live} - {o for o, _ in planned} - explained
    found = [f"{o}: the plan has it, the database does not" for o in sorted(missing_objects)]
    found += [f"{o}: the database has it, the plan does not ({_aspects(live, o)})" for o in sorted(extra_objects)]
    for key in sorted(set(planned) | set(live)):
        obj, aspect = key
        if obj in missing_objects or obj in extra_objects or obj in explained or planned.get(key) == live.get(key):
            continue
        found.append(f"{obj}: {aspect}: the plan says {_shown(planned.get(key))}, the database says {_shown(live.get(key))}")
    return found


VALIDATED = "validated (checked against every existing row)"


def kept_not_valid(conn: psycopg.Connection, planned: Snapshot, live: Snapshot) -> dict[str, int]:
    """The plan's CHECK constraints the database holds as the plan defines them but NOT VALID, each with how many
    existing rows break it now. keepInvalidRows keeps such history (docs/adopting.md): a constraint some rows break is
    that choice; one no row breaks any more is a plain difference (the next `make up` validates it)."""
    kept = {}
    for (obj, aspect), value in live.items():
        definition = live.get((obj, "definition"), "")
        if (aspect != VALIDATED or value != "false" or planned.get((obj, aspect)) != "true"
                or planned.get((obj, "definition")) != definition or not definition.startswith("CHECK ")):
            continue
        table = obj.removeprefix("constraint ").rsplit(".", 1)[0]
        # A CHECK passes on NULL; the expression is the database's own (pg_get_constraintdef), on a kit table.
        (count,) = conn.execute(sql.SQL("SELECT count(*) FROM {} WHERE NOT coalesce({}, true)").format(
            sql.SQL(table), sql.SQL(definition.removeprefix("CHECK ")))).fetchone()
        kept[obj] = count
    return kept


def users_columns(planned: Snapshot, live: Snapshot) -> dict[str, str]:
    """Columns the database has on the kit's tables and the plan does not: an adopted table keeps its users' columns
    (a deploy never drops data). One the kit's writes cannot fill (NOT NULL without a default) is not included: it
    stays a difference, since the service's inserts would fail on it."""
    planned_objects = {o for o, _ in planned}
    return {obj: value for (obj, aspect), value in live.items()
            if obj.startswith("column ") and aspect == "definition" and obj not in planned_objects
            and not (" NOT NULL" in value and " DEFAULT " not in value and "IDENTITY" not in value
                     and "GENERATED ALWAYS (stored)" not in value)}


def _aspects(snap: Snapshot, obj: str) -> str:
    return "; ".join(f"{a}: {_shown(v)}" for (o, a), v in sorted(snap.items()) if o == obj and a == "definition") \
        or "see its catalog entry"


def _shown(value: str | None) -> str:
    if value is None:
        return "(nothing)"
    flat = " ".join(value.split())
    return repr(flat if len(flat) <= 400 else flat[:400] + "...")


def reference_script(target: str = "postgres") -> str:
    """The plan's statements as `make sql` writes them, minus the roles: roles belong to the cluster, which already
    has them (the audit needs them), and creating or altering them from a throwaway database would change the cluster."""
    parts = ["SET client_min_messages = warning;"]
    for item in kit_plan(target):
        if item.kind is Role:
            continue
        parts += [statement.strip().rstrip(";") + ";" for statement in item.script()]
    return "\n".join(parts)


@contextlib.contextmanager
def reference_database(owner_dsn: str) -> Iterator[str]:
    """An empty database on the audited server, created by the audited database's owner role (postgres: CREATEDB on
    Supabase, a superuser locally), with the plan applied; dropped afterwards."""
    name = f"schedkit_reference_{secrets.token_hex(4)}"
    with psycopg.connect(owner_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        dsn = make_conninfo(owner_dsn, dbname=name)
        with psycopg.connect(dsn) as conn:  # one transaction: a failure leaves nothing half-applied to compare with
            conn.execute(reference_script())
        yield dsn
    finally:
        with psycopg.connect(owner_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
