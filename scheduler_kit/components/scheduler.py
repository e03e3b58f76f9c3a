"""The scheduler's database objects: tables, statistics trigger, helper functions, RLS, policies and grants."""

from __future__ import annotations

from typing import Optional, Sequence

import pulumi

from .. import TYPE_PREFIX
from ..config import StackSettings
from ..db import ident, literal
from ..policies import load_policies
from ..providers.policy import Policy
from ..providers.row_security import RowSecurity, RowSecurityInputs
from ..providers.schema import Schema, SchemaInputs
from ..providers.table import Table, TableInputs
from .objects import child, function, grants, model_sql, trigger

HISTORY_SIGNATURE = "public.get_job_execution_history(text, integer, integer)"
STATS_SIGNATURE = "public.get_job_execution_stats(text, timestamp with time zone)"
WRITE = ["SELECT", "INSERT", "UPDATE", "DELETE"]

# Table privileges by role. RLS then narrows rows; column grants narrow what an admin may change.
TABLE_GRANTS: dict[str, dict[str, list[str]]] = {
    "public.job_schedules": {"PUBLIC": [], "anon": [], "authenticated": ["SELECT"], "service_role": WRITE},
    "public.scheduled_jobs": {"PUBLIC": [], "anon": [], "authenticated": ["SELECT"], "service_role": WRITE},
}
# Admins change only whether a job runs and when (the seed let them rewrite statistics, names and endpoints).
COLUMN_GRANTS = {"public.job_schedules": {"authenticated": {"UPDATE": ["cron_expression", "enabled"]}}}
# EXECUTE by function; PUBLIC (and so anon) never.
FUNCTION_GRANTS: dict[str, dict[str, list[str]]] = {
    HISTORY_SIGNATURE: {"PUBLIC": [], "anon": [], "authenticated": ["EXECUTE"], "service_role": ["EXECUTE"]},
    STATS_SIGNATURE: {"PUBLIC": [], "anon": [], "authenticated": ["EXECUTE"], "service_role": ["EXECUTE"]},
    "scheduler_private.is_admin()": {"PUBLIC": [], "authenticated": ["EXECUTE"], "service_role": ["EXECUTE"]},
    # CHECK constraints call it with the writer's rights.
    "scheduler_private.is_valid_cron(text)": {"PUBLIC": [], "authenticated": ["EXECUTE"], "service_role": ["EXECUTE"]},
    "public.update_job_schedule_stats()": {"PUBLIC": []},
    "scheduler_private.touch_updated_at()": {"PUBLIC": []},
}


class SchedulerDatabase(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        settings: StackSettings,
        depends_on: Sequence[pulumi.Resource] = (),
        opts: Optional[pulumi.ResourceOptions] = None,
    ):
        super().__init__(f"{TYPE_PREFIX}:index:SchedulerDatabase", name, None, opts)
        base = list(depends_on)

        private = Schema("schema-scheduler_private", SchemaInputs(name="scheduler_private"), child(self, base))
        is_valid_cron = function(self, "scheduler_private.is_valid_cron(text)", "is_valid_cron", [private])
        touch = function(self, "scheduler_private.touch_updated_at()", "touch_updated_at", [private])
        admin = settings.admin
        is_admin = function(
            self, "scheduler_private.is_admin()", "is_admin", [private, *base],
            admin_table=ident(admin.table), id_column=ident(admin.id_column),
            role_column=ident(admin.role_column), admin_value=literal(admin.admin_value),
        )

        # The audit trail outlives the stack: protected (destroy and renames fail) and retained unless the stack
        # says otherwise (the local default and the tests).
        history_opts = dict(protect=settings.protect_history, retain_on_delete=settings.protect_history)
        table_inputs = lambda table: TableInputs(  # noqa: E731
            name=f"public.{table}",
            definition=model_sql(f"{table}.table"),
            drop_on_delete=not settings.protect_history,
        )
        job_schedules = Table("table-job_schedules", table_inputs("job_schedules"), child(self, [is_valid_cron], **history_opts))
        scheduled_jobs = Table("table-scheduled_jobs", table_inputs("scheduled_jobs"), child(self, base, **history_opts))
        tables = [job_schedules, scheduled_jobs]

        stats = function(self, "public.update_job_schedule_stats()", "update_job_schedule_stats", tables)
        triggers = [
            trigger(self, "trigger_update_job_stats", "public.scheduled_jobs", [stats, scheduled_jobs]),
            trigger(self, "trigger_job_schedules_updated_at", "public.job_schedules", [touch, job_schedules]),
            trigger(self, "trigger_scheduled_jobs_updated_at", "public.scheduled_jobs", [touch, scheduled_jobs]),
        ]
        history = function(self, HISTORY_SIGNATURE, "get_job_execution_history", [scheduled_jobs])
        exec_stats = function(self, STATS_SIGNATURE, "get_job_execution_stats", [scheduled_jobs])

        row_security = [
            RowSecurity(f"rls-{t}", RowSecurityInputs(table=f"public.{t}", force=True), child(self, [table]))
            for t, table in (("job_schedules", job_schedules), ("scheduled_jobs", scheduled_jobs))
        ]
        policies = [
            Policy(f"policy-{p.name}", p, child(self, [*tables, is_admin, *base]))
            for p in load_policies()
        ]

        functions = {
            HISTORY_SIGNATURE: history, STATS_SIGNATURE: exec_stats, "scheduler_private.is_admin()": is_admin,
            "scheduler_private.is_valid_cron(text)": is_valid_cron, "public.update_job_schedule_stats()": stats,
            "scheduler_private.touch_updated_at()": touch,
        }
        access = [
            *grants(self, "schema", "scheduler_private", {"PUBLIC": [], "authenticated": ["USAGE"], "service_role": ["USAGE"]},
                    depends_on=[private, *base]),
            *[
                g
                for table_name, by_role in TABLE_GRANTS.items()
                for g in grants(self, "table", table_name, by_role, COLUMN_GRANTS.get(table_name), depends_on=[*tables, *base])
            ],
            *[
                g
                for signature, by_role in FUNCTION_GRANTS.items()
                for g in grants(self, "function", signature, by_role, depends_on=[functions[signature], *base])
            ],
        ]
        self.job_schedules = job_schedules
        self.scheduled_jobs = scheduled_jobs
        self.ready: list[pulumi.Resource] = [*tables, *triggers, *row_security, *policies, *access, history, exec_stats]
        self.register_outputs({
            "policies": [p.id for p in policies],
            "tables": [t.id for t in tables],
        })
