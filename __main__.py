"""Wiring only: read the stack settings, create the components, export what a reader wants to see."""

import pulumi

from scheduler_kit.components.scheduler import SchedulerDatabase
from scheduler_kit.components.supabase_base import SupabaseBase
from scheduler_kit.config import ConfigError, load_stack_settings
from scheduler_kit.policies import PolicyFileError

try:
    settings = load_stack_settings()
except ConfigError as error:
    raise pulumi.RunError(str(error)) from None

base_ready = []
if settings.creates_supabase_base:
    base = SupabaseBase("supabase-base", settings)
    base_ready = base.ready

try:
    scheduler = SchedulerDatabase("scheduler", settings, depends_on=base_ready)
except PolicyFileError as error:
    raise pulumi.RunError(str(error)) from None

pulumi.export("database", settings.connection.redacted())
pulumi.export("target", settings.target)
pulumi.export("history_protected", settings.protect_history)
