"""What the deploy-speed changes must keep (docs/deploy-speed.md): the shared provider pickle is the SDK's own, and
the program's SDK debug lines are dropped only on purpose."""

import importlib

import pulumi
import pytest
from pulumi.dynamic.dynamic import serialize_provider

from scheduler_kit import sdk_chatter
from scheduler_kit.providers import base
from scheduler_kit.providers.grant import GrantProvider
from scheduler_kit.providers.job import JobProvider
from scheduler_kit.providers.table import TableProvider


@pytest.mark.parametrize("kind", [GrantProvider, JobProvider, TableProvider])
def test_the_shared_pickle_is_what_the_sdk_makes_for_each_resource(kind):
    assert base.serialized_provider(kind) == serialize_provider(kind())


def test_a_provider_with_program_state_is_not_shared():
    class Stateful(GrantProvider):
        def __init__(self):
            self.captured = "something"

    with pytest.raises(TypeError):
        base.serialized_provider(Stateful)


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
