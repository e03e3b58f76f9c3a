"""Every definition of the kit's objects is the plan's, compared after PostgreSQL's own normalisation: each policy's
command, roles, USING and WITH CHECK; each function's arguments, result, language, volatility, security, parallel
mode, settings and body; each trigger's timing, events, columns, transition tables, WHEN, level and function (and
whether it is enabled); each constraint (and whether it is validated); each index (and whether it is valid); each
column's type, nullability and default; RLS enabled and forced. The expected side is the plan deployed into an empty
database on the same server, not a copy typed here, so a change to the model changes the expectation with it."""

from __future__ import annotations

from tests.policy.reference import live_catalog, planned_catalog  # noqa: F401  (fixtures)
import warnings

import psycopg

from tests.support.catalog_snapshot import differences, kept_not_valid, kit_objects, users_columns
from tests.support.plan import kit_plan


def _kinds(snap, kind):
    return {obj for obj, _ in snap if obj.startswith(kind + " ")}


def test_the_reference_covers_every_kind_of_definition(planned_catalog, policy_target):
    """The comparison below is only as good as what it compares: the plan's side must hold each kind of object, and
    every table and function of the plan."""
    counts = {kind: len(_kinds(planned_catalog, kind))
              for kind in ("table", "column", "constraint", "index", "trigger", "policy", "function")}
    assert all(counts.values()), counts
    tables, functions = kit_objects(kit_plan(policy_target))
    assert (counts["table"], counts["function"]) == (len(tables), len(functions)), counts
    assert counts["policy"] >= 12 and counts["trigger"] >= 7, counts


def test_every_definition_is_the_plans(planned_catalog, live_catalog, policy_dsn):
    """Two states of an adopted database are its users' choices, not differences, and are reported as warnings: a
    constraint kept NOT VALID while old rows break it (keepInvalidRows), and a column of theirs the kit leaves alone."""
    with psycopg.connect(policy_dsn) as conn:
        kept = {obj: rows for obj, rows in kept_not_valid(conn, planned_catalog, live_catalog).items() if rows}
    columns = users_columns(planned_catalog, live_catalog)
    for obj, rows in sorted(kept.items()):
        warnings.warn(f"{obj} is NOT VALID: {rows} existing rows break it (kept by keepInvalidRows; fix the rows and "
                      "`make up` validates it)")
    for obj, definition in sorted(columns.items()):
        warnings.warn(f"{obj} ({definition}) is not the kit's: kept, as a deploy never drops data")
    wrong = differences(planned_catalog, live_catalog, explained=frozenset(kept) | frozenset(columns))
    assert not wrong, (f"{len(wrong)} definitions differ from what the plan deploys on an empty database "
                       "(fix: `pulumi up --refresh` repairs the kit's objects; remove objects the plan does not have):\n"
                       + "\n".join(wrong))
