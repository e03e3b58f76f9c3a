"""Moved to scheduler_kit/pulumi_env.py (`make review` drives the engine too); re-exported for the tests."""

from scheduler_kit.pulumi_env import ROOT, ensure_pulumi_environment, pulumi_environment  # noqa: F401
