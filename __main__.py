"""Wiring only: read the stack settings and jobs.yaml, create the components, export what a reader wants to see."""

import pulumi

from scheduler_kit.components.jobs import ScheduledJobs
from scheduler_kit.components.scheduler import SchedulerDatabase
from scheduler_kit.components.supabase_base import SupabaseBase
from scheduler_kit.config import ConfigError, load_stack_settings, program_connection
from scheduler_kit.db import DatabaseUnreachable, check_reachable
from scheduler_kit.jobs_file import JobsFileError, load_jobs
from scheduler_kit.policies import PolicyFileError

# Everything is read and validated before the first resource is registered: bad input changes nothing.
try:
    settings = load_stack_settings()
    jobs = load_jobs(settings.jobs_file)
    # A database that cannot be reached fails the preview here, in one line, instead of the up in hundreds.
    check_reachable(program_connection(settings))
except (ConfigError, JobsFileError, DatabaseUnreachable) as error:
    raise pulumi.RunError(str(error)) from None

try:
    base = SupabaseBase("supabase-base", settings) if settings.creates_supabase_base else None
    scheduler = SchedulerDatabase("scheduler", settings, depends_on=base.ready if base else [])
except PolicyFileError as error:
    raise pulumi.RunError(str(error)) from None

job_resources = ScheduledJobs("jobs", jobs, depends_on=[scheduler.resources["table-job_schedules"]])

pulumi.export("database", settings.connection.redacted())
pulumi.export("target", settings.target)
pulumi.export("history_protected", settings.protect_history)
# A count, not every job: outputs are reprinted by each preview, and the jobs summary reads the Job resources.
pulumi.export("job_count", len(jobs))
