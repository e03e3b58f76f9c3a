"""The database model as an ordered plan: every object the kit manages, its inputs and what it needs first.

The Pulumi components turn the plan into resources; `make sql` turns the same plan into one migration file. Order
matters only for the SQL file (each object comes after what it needs); Pulumi gets the edges from `after`.
"""

from __future__ import annotations

import dataclasses

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from psycopg import sql

from .config import StackSettings
from .adoption import STATISTICS_RULES
from .cron import CRON_PATTERN, FORMS as CRON_FORMS
from .db import ident, literal, render, sql_text
from .duration_histogram import bounds_literal
from .jobs_file import NOT_BLANK_PATTERN
from .policies import load_policies
from .providers.admin_lookup import AdminLookup, AdminLookupInputs
from .providers.base import SqlObject
from .providers.function import Function, FunctionInputs
from .providers.policy import Policy
from .providers.privileges import Privileges, PrivilegesInputs, expected_acl
from .providers.role import Role, RoleInputs
from .providers.row_security import RowSecurity, RowSecurityInputs
from .providers.schema import Schema, SchemaInputs
from .providers.table import Table, TableInputs
from .providers.trigger import Trigger, TriggerInputs

API_ROLES = ("anon", "authenticated", "service_role")
# PostgREST's login role: NOINHERIT, so it holds no privileges of its own and acts only after SET ROLE.
AUTHENTICATOR = "authenticator"
WRITE = ["DELETE", "INSERT", "SELECT", "UPDATE"]
HISTORY_SIGNATURE = "public.get_job_execution_history(text, integer, integer)"
STATS_SIGNATURE = "public.get_job_execution_stats(text, timestamp with time zone)"
HISTORY_PAGE_SIGNATURE = "public.get_job_execution_history_page(text, integer, timestamp with time zone, uuid)"
PURGE_SIGNATURE = "public.purge_job_execution_history(interval, integer)"
# Array arguments by their type names (_int4 is integer[]): signatures stay plain words for to_regprocedure.
HISTOGRAM_ADD_SIGNATURE = "scheduler_private.histogram_add(_int4, _int4)"
HISTOGRAM_OF_SIGNATURE = "scheduler_private.histogram_of(_int4, _int4)"

# Table privileges by role. RLS then narrows rows; column grants narrow what an admin may change.
TABLE_GRANTS: dict[str, dict[str, list[str]]] = {
    "public.job_schedules": {"PUBLIC": [], "anon": [], "authenticated": ["SELECT"], "service_role": WRITE},
    "public.scheduled_jobs": {"PUBLIC": [], "anon": [], "authenticated": ["SELECT"], "service_role": WRITE},
    # The statistics rollups: read like the history (admins through RLS), written by the trigger and the service.
    "public.job_execution_rollups": {"PUBLIC": [], "anon": [], "authenticated": ["SELECT"], "service_role": WRITE},
}
# Admins change only whether a job runs and when (the seed let them rewrite statistics, names and endpoints).
COLUMN_GRANTS = {"public.job_schedules": {"authenticated": {"UPDATE": ["cron_expression", "enabled"]}}}
# EXECUTE by function; PUBLIC (and so anon) never.
FUNCTION_GRANTS: dict[str, dict[str, list[str]]] = {
    HISTORY_SIGNATURE: {"PUBLIC": [], "anon": [], "authenticated": ["EXECUTE"], "service_role": ["EXECUTE"]},
    STATS_SIGNATURE: {"PUBLIC": [], "anon": [], "authenticated": ["EXECUTE"], "service_role": ["EXECUTE"]},
    HISTORY_PAGE_SIGNATURE: {"PUBLIC": [], "anon": [], "authenticated": ["EXECUTE"], "service_role": ["EXECUTE"]},
    # Retention is the service's job alone.
    PURGE_SIGNATURE: {"PUBLIC": [], "anon": [], "authenticated": [], "service_role": ["EXECUTE"]},
    # The statistics function runs with its caller's rights and calls these two.
    "scheduler_private.duration_bucket(integer)": {"PUBLIC": [], "authenticated": ["EXECUTE"], "service_role": ["EXECUTE"]},
    "scheduler_private.duration_bucket_value(integer)": {"PUBLIC": [], "authenticated": ["EXECUTE"],
                                                         "service_role": ["EXECUTE"]},
    # Only the statistics trigger (SECURITY DEFINER) uses these.
    HISTOGRAM_ADD_SIGNATURE: {"PUBLIC": []},
    HISTOGRAM_OF_SIGNATURE: {"PUBLIC": []},
    "scheduler_private.is_admin()": {"PUBLIC": [], "authenticated": ["EXECUTE"], "service_role": ["EXECUTE"]},
    "public.update_job_schedule_stats()": {"PUBLIC": []},
    "scheduler_private.touch_updated_at()": {"PUBLIC": []},
    "scheduler_private.refuse_reopening()": {"PUBLIC": []},
    "scheduler_private.check_job_definition()": {"PUBLIC": []},
}


@dataclass(frozen=True)
class Planned:
    key: str  # the Pulumi resource name, unique in the stack
    kind: type[SqlObject]
    inputs: Any
    after: tuple[str, ...] = ()
    protect: bool = False  # protected and retained (the history tables on every stack but local)

    def script(self) -> list[str]:
        return self.kind.provider_type().script(self.inputs)


def _function(signature: str, file: str, after: tuple[str, ...] = (), triggers: tuple[Planned, ...] = (),
              **values) -> Planned:
    """`triggers`: the trigger resources that call it, re-created with it in one transaction (see FunctionInputs)."""
    text = sql_text(f"model/{file}.function.sql")
    return Planned(f"function-{signature.split('(')[0]}", Function,
                   FunctionInputs(signature=signature, definition=render(text, **values) if values else text,
                                  triggers=[dataclasses.asdict(t.inputs) for t in triggers] or None), after)


def _trigger(name: str, table: str, after: tuple[str, ...]) -> Planned:
    text = sql_text(f"model/{name}.trigger.sql")
    if "{{recounted}}" in text:  # the statistics take-over (see trigger_update_job_stats.trigger.sql)
        text = render(text, recounted=sql.SQL(sql_text("adopt/recounted.sql").strip()))
    return Planned(f"trigger-{name}", Trigger, TriggerInputs(name=name, table=table, definition=text), after)


def _privileges(object_type: str, obj: str, by_grantee: dict[str, list[str]], after: tuple[str, ...],
                columns: dict[str, dict[str, list[str]]] | None = None) -> Planned:
    """The object's whole ACL, one resource: every grantee the model names (an empty list is a deliberate nothing)."""
    return Planned(
        f"privileges-{object_type}-{obj.split('(')[0]}",
        Privileges,
        PrivilegesInputs(object_type=object_type, object=obj, grants={
            grantee: {"privileges": sorted(privileges),
                      "columns": {p: sorted(c) for p, c in (columns or {}).get(grantee, {}).items()}}
            for grantee, privileges in by_grantee.items()}),
        after,
    )


def supabase_base_plan(settings: StackSettings) -> list[Planned]:
    """What Supabase already has, for target postgres: API roles, auth.jwt(), a users table."""
    roles = [Planned(f"role-{r}", Role, RoleInputs(name=r, bypass_rls=(r == "service_role"))) for r in API_ROLES]
    role_keys = tuple(p.key for p in roles)
    roles.append(Planned(f"role-{AUTHENTICATOR}", Role,
                         RoleInputs(name=AUTHENTICATOR, login=True, member_of=list(API_ROLES)), role_keys))
    return with_exact_privileges([
        *roles,
        Planned("schema-auth", Schema, SchemaInputs(name="auth")),
        _function("auth.jwt()", "auth_jwt", ("schema-auth",)),
        Planned("table-users", Table, TableInputs(name="public.users", definition=sql_text("model/users.table.sql"),
                                                  drop_on_delete=not settings.protect_history)),
        Planned("rls-users", RowSecurity, RowSecurityInputs(table="public.users"), ("table-users",)),
        _privileges("schema", "auth", {r: ["USAGE"] for r in API_ROLES}, ("schema-auth", *role_keys)),
        _privileges("function", "auth.jwt()", {"PUBLIC": [], **{r: ["EXECUTE"] for r in API_ROLES}},
                    ("function-auth.jwt", *role_keys)),
        # Users are the service's business; the admin check reads them through a SECURITY DEFINER helper.
        _privileges("table", "public.users", {"PUBLIC": [], "anon": [], "authenticated": [], "service_role": WRITE},
                    ("table-users", "rls-users", *role_keys)),
    ])


def scheduler_plan(settings: StackSettings, not_valid: Mapping[str, Sequence[str]] | None = None) -> list[Planned]:
    """`not_valid`: by table, the rules existing rows break that the stack keeps NOT VALID (scheduler_kit.adoption)."""
    admin = settings.admin
    drop = not settings.protect_history
    protect = settings.protect_history
    tables = ("table-job_schedules", "table-scheduled_jobs")
    rollups = "table-job_execution_rollups"
    histogram = ("function-scheduler_private.duration_bucket", "function-scheduler_private.histogram_add",
                 "function-scheduler_private.histogram_of")
    stats_triggers = ("function-public.update_job_schedule_stats", "table-scheduled_jobs")
    # Three row-level triggers with transition tables (one event each, as transition tables require); the INSERT one,
    # which keeps the seed's name, also builds the rollups of an existing history (see its .sql file). The function
    # re-creates them whenever it is applied, so an upgrade never pairs a new body with an old trigger.
    statistics_triggers = (
        _trigger("trigger_update_job_stats", "public.scheduled_jobs", (*stats_triggers, rollups, *histogram)),
        _trigger("trigger_update_job_stats_on_update", "public.scheduled_jobs", stats_triggers),
        _trigger("trigger_update_job_stats_on_delete", "public.scheduled_jobs", stats_triggers),
    )
    policies = load_policies()
    trigger_names = {
        "public.job_schedules": ["trigger_job_schedules_definition_is_valid", "trigger_job_schedules_updated_at"],
        "public.scheduled_jobs": ["trigger_scheduled_jobs_finished_is_final", *(t.inputs.name for t in statistics_triggers),
                                  "trigger_scheduled_jobs_updated_at"],
        "public.job_execution_rollups": [],
    }

    def table(key: str, name: str, label: str, protected: bool = False) -> Planned:
        return Planned(key, Table, TableInputs(
            name=name, definition=sql_text(f"model/{name.split('.')[1]}.table.sql"), drop_on_delete=drop, label=label,
            kit_triggers=sorted(trigger_names[name]), kit_policies=sorted(p.name for p in policies if p.table == name),
            not_valid=sorted((not_valid or {}).get(name, ())),
            recounted=list(STATISTICS_RULES) if name == "public.job_schedules" else []), (), protected)

    plan = [
        # Checked on every preview and deployment: the admin check must not trust a table API callers can write.
        Planned("admin-lookup", AdminLookup, AdminLookupInputs(table=admin.table, id_column=admin.id_column,
                                                               role_column=admin.role_column,
                                                               roles=["anon", "authenticated"])),
        Planned("schema-scheduler_private", Schema, SchemaInputs(name="scheduler_private")),
        _function("scheduler_private.touch_updated_at()", "touch_updated_at", ("schema-scheduler_private",)),
        _function("scheduler_private.is_admin()", "is_admin", ("schema-scheduler_private", "admin-lookup"),
                  admin_table=ident(admin.table), id_column=ident(admin.id_column),
                  role_column=ident(admin.role_column), admin_value=literal(admin.admin_value)),
        table("table-job_schedules", "public.job_schedules", "job_name", protect),
        table("table-scheduled_jobs", "public.scheduled_jobs", "id", protect),
        table(rollups, "public.job_execution_rollups", "job_name || ' ' || day"),
        _function("scheduler_private.duration_bucket(integer)", "duration_bucket", ("schema-scheduler_private",),
                  bounds=literal(bounds_literal())),
        _function("scheduler_private.duration_bucket_value(integer)", "duration_bucket_value",
                  ("schema-scheduler_private",), bounds=literal(bounds_literal())),
        _function(HISTOGRAM_ADD_SIGNATURE, "histogram_add", ("schema-scheduler_private",)),
        _function(HISTOGRAM_OF_SIGNATURE, "histogram_of", ("schema-scheduler_private",)),
        _function("public.update_job_schedule_stats()", "update_job_schedule_stats", (*tables, rollups, *histogram),
                  triggers=statistics_triggers, bounds=literal(bounds_literal())),
        _function("scheduler_private.refuse_reopening()", "refuse_reopening", ("schema-scheduler_private",)),
        _trigger("trigger_scheduled_jobs_finished_is_final", "public.scheduled_jobs",
                 ("function-scheduler_private.refuse_reopening", "table-scheduled_jobs")),
        *statistics_triggers,
        _function("scheduler_private.check_job_definition()", "check_job_definition", ("schema-scheduler_private",),
                  cron_pattern=literal(CRON_PATTERN), cron_forms=literal(CRON_FORMS),
                  not_blank=literal(NOT_BLANK_PATTERN)),
        _trigger("trigger_job_schedules_definition_is_valid", "public.job_schedules",
                 ("function-scheduler_private.check_job_definition", "table-job_schedules")),
        _trigger("trigger_job_schedules_updated_at", "public.job_schedules",
                 ("function-scheduler_private.touch_updated_at", "table-job_schedules")),
        _trigger("trigger_scheduled_jobs_updated_at", "public.scheduled_jobs",
                 ("function-scheduler_private.touch_updated_at", "table-scheduled_jobs")),
        _function(HISTORY_SIGNATURE, "get_job_execution_history", ("table-scheduled_jobs",)),
        _function(HISTORY_PAGE_SIGNATURE, "get_job_execution_history_page", ("table-scheduled_jobs",)),
        _function(STATS_SIGNATURE, "get_job_execution_stats",
                  ("table-scheduled_jobs", rollups, "function-scheduler_private.duration_bucket",
                   "function-scheduler_private.duration_bucket_value")),
        _function(PURGE_SIGNATURE, "purge_job_execution_history", ("table-scheduled_jobs",)),
        Planned("rls-job_schedules", RowSecurity, RowSecurityInputs(table="public.job_schedules"), ("table-job_schedules",)),
        Planned("rls-scheduled_jobs", RowSecurity, RowSecurityInputs(table="public.scheduled_jobs"), ("table-scheduled_jobs",)),
        Planned("rls-job_execution_rollups", RowSecurity, RowSecurityInputs(table="public.job_execution_rollups"),
                (rollups,)),
        *[Planned(f"policy-{p.name}", Policy, p, (*tables, rollups, "function-scheduler_private.is_admin"))
          for p in policies],
        _privileges("schema", "scheduler_private", {"PUBLIC": [], "authenticated": ["USAGE"], "service_role": ["USAGE"]},
                    ("schema-scheduler_private",)),
    ]
    for table, by_grantee in TABLE_GRANTS.items():
        # A table's grants come after its RLS and policies: access is widened last on a deploy, and taken away
        # first on a removal or destroy, so the table is never reachable with fewer policies than before.
        guards = (f"rls-{table.split('.')[1]}", *(f"policy-{p.name}" for p in policies if p.table == table))
        plan.append(_privileges("table", table, by_grantee, (*tables, rollups, *guards), COLUMN_GRANTS.get(table)))
    for signature, by_grantee in FUNCTION_GRANTS.items():
        plan.append(_privileges("function", signature, by_grantee, (f"function-{signature.split('(')[0]}",)))
    return with_exact_privileges(plan)


_OBJECT_TYPES = {Table: "table", Function: "function", Schema: "schema"}


def _object_of(item: Planned) -> tuple[str, str] | None:
    object_type = _OBJECT_TYPES.get(item.kind)
    if object_type is None:
        return None
    name = {"table": lambda i: i.name, "function": lambda i: i.signature, "schema": lambda i: i.name}[object_type]
    return object_type, name(item.inputs)


def with_exact_privileges(plan: list[Planned]) -> list[Planned]:
    """Gives each table, function and schema of the plan its final ACL (its own transaction narrows to it: private
    from the first statement, see providers/privacy.py), and each object the plan lists no privileges for a
    Privileges resource of its own (owner only), after it: so every object's ACL is exactly the plan's."""
    acls = object_acls(plan)
    plan = [dataclasses.replace(item, inputs=dataclasses.replace(item.inputs, final_acl=acls[target]))
            if (target := _object_of(item)) else item for item in plan]
    covered = {(item.inputs.object_type, item.inputs.object) for item in plan if item.kind is Privileges}
    owner_only = [_privileges(target[0], target[1], {}, (item.key,))
                  for item in plan if (target := _object_of(item)) and target not in covered]
    return [*plan, *owner_only]


def object_acls(plan: list[Planned]) -> dict[tuple[str, str], dict[str, dict]]:
    """What the plan says each object's ACL is, by grantee (the owner aside): {"privileges": [...], "columns": {...}}.
    The catalog tests compare the live database with this, so the expected grants are derived, never re-typed."""
    acls: dict[tuple[str, str], dict[str, dict]] = {t: {} for t in filter(None, map(_object_of, plan))}
    for item in plan:
        if item.kind is Privileges:
            acls.setdefault((item.inputs.object_type, item.inputs.object), {}).update(expected_acl(item.inputs.grants))
    return acls


def full_plan(settings: StackSettings, not_valid: Mapping[str, Sequence[str]] | None = None) -> list[Planned]:
    base = supabase_base_plan(settings) if settings.creates_supabase_base else []
    return [*base, *scheduler_plan(settings, not_valid)]
