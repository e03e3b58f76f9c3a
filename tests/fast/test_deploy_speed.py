"""What the deploy-speed work found and changed (docs/deploy-speed.md), kept true."""

import importlib

import pulumi
import pytest
from pulumi.dynamic.dynamic import serialize_provider

from scheduler_kit import sdk_chatter
from scheduler_kit.providers.grant import GrantProvider
from scheduler_kit.providers.job import JobProvider
from scheduler_kit.providers.table import TableProvider


def test_the_provider_pickle_is_a_reference_not_the_kit():
    """What a resource carries as __provider: the class by name and an empty instance (docs/deploy-speed.md),
    so the provider process imports the kit rather than unpickling a copy of it."""
    for kind in (GrantProvider, JobProvider, TableProvider):
        assert len(serialize_provider(kind())) < 200


def test_sdk_debug_lines_are_dropped_unless_asked_for(monkeypatch):
    original = pulumi.log.debug
    try:
        monkeypatch.setenv("SCHEDKIT_SDK_DEBUG", "1")
        sdk_chatter.drop_sdk_debug_messages()
        assert pulumi.log.debug is original
        monkeypatch.delenv("SCHEDKIT_SDK_DEBUG")
        sdk_chatter.drop_sdk_debug_messages()
        assert pulumi.log.debug is not original
        assert pulumi.log.warn is importlib.import_module("pulumi.log").warn  # warnings and errors are untouched
    finally:
        pulumi.log.debug = original
