"""Wiring only: read the stack settings and jobs.yaml, create the components, export what a reader wants to see."""

import pulumi

# First: the dynamic provider's process starts while the imports below, jobs.yaml and the survey run.
from scheduler_kit.provider_warmup import start_dynamic_provider_now

start_dynamic_provider_now()

from scheduler_kit.adoption import AdoptionRefused, survey_plan  # noqa: E402 (after the provider's head start)
from scheduler_kit.components.jobs import ScheduledJobs
from scheduler_kit.components.scheduler import SchedulerDatabase
from scheduler_kit.components.supabase_base import SupabaseBase
from scheduler_kit.config import ConfigError, load_stack_settings, program_connection
from scheduler_kit.model import full_plan
from scheduler_kit.db import DatabaseUnreachable, connect
from scheduler_kit.jobs_file import JobsFileError, load_jobs
from scheduler_kit.policies import PolicyFileError
from scheduler_kit.quick_exit import end_program_at_once
from scheduler_kit.sdk_chatter import drop_sdk_debug_messages

drop_sdk_debug_messages()
end_program_at_once()

# Everything is read and validated before the first resource is registered: bad input changes nothing.
try:
    settings = load_stack_settings()
    jobs = load_jobs(settings.jobs_file)
    # A database that cannot be reached fails the preview here, in one line, instead of the up in hundreds.
    # One login for both: the reachability check's connection reads the survey.
    with connect(program_connection(settings), autocommit=True) as connection:
        # What the deploy will do to the tables, rows and objects it finds (a database that ran the seed's
        # migration); rows that break the kit's rules refuse it here, all in one message, before anything is written.
        adoption = survey_plan(connection, full_plan(settings), jobs, settings.keep_invalid_rows)
except (ConfigError, JobsFileError, DatabaseUnreachable, AdoptionRefused, PolicyFileError) as error:
    raise pulumi.RunError(str(error)) from None
# Warnings, so that every preview shows them (the CLI hides info messages); a database with nothing to adopt prints none.
for message in adoption.lines():
    pulumi.log.warn(message)
if adoption.refusals:
    raise pulumi.RunError(adoption.refusal_message())

try:
    base = SupabaseBase("supabase-base", settings) if settings.creates_supabase_base else None
    scheduler = SchedulerDatabase("scheduler", settings, not_valid=adoption.not_valid,
                                  depends_on=base.ready if base else [])
except PolicyFileError as error:
    raise pulumi.RunError(str(error)) from None

job_resources = ScheduledJobs("jobs", jobs, depends_on=[scheduler.resources["table-job_schedules"]])

pulumi.export("database", settings.connection.redacted())
pulumi.export("target", settings.target)
pulumi.export("history_protected", settings.protect_history)
# A count, not every job: outputs are reprinted by each preview, and the jobs summary reads the Job resources.
pulumi.export("job_count", len(jobs))
