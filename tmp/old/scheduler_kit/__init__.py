"""Scheduler kit: Pulumi components and dynamic providers for the job-scheduler database."""

TYPE_PREFIX = "schedkit"
