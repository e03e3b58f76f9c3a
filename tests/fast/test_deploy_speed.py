"""What the deploy-speed work found and changed (docs/deploy-speed.md), kept true."""

import importlib
import importlib.util

import pulumi
import pytest
from pulumi.dynamic.dynamic import serialize_provider

from scheduler_kit import sdk_chatter
from scheduler_kit.providers.privileges import PrivilegesProvider
from scheduler_kit.providers.job import JobProvider
from scheduler_kit.providers.table import TableProvider


def test_the_provider_pickle_is_a_reference_not_the_kit():
    """What a resource carries as __provider: the class by name and an empty instance (docs/deploy-speed.md),
    so the provider process imports the kit rather than unpickling a copy of it."""
    for kind in (PrivilegesProvider, JobProvider, TableProvider):
        assert len(serialize_provider(kind())) < 200


def test_sdk_debug_lines_and_stack_traces_are_dropped_unless_asked_for(monkeypatch):
    from pulumi.runtime import resource

    original, original_trace = pulumi.log.debug, resource._get_stack_trace
    try:
        monkeypatch.setenv("SCHEDKIT_SDK_DEBUG", "1")
        sdk_chatter.drop_sdk_debug_messages()
        assert pulumi.log.debug is original
        assert resource._get_stack_trace is original_trace
        monkeypatch.delenv("SCHEDKIT_SDK_DEBUG")
        sdk_chatter.drop_sdk_debug_messages()
        assert pulumi.log.debug is not original
        assert pulumi.log.warn is importlib.import_module("pulumi.log").warn  # warnings and errors are untouched
        # The SDK still calls the function by this name, and an empty trace gives no source position.
        assert len(resource._get_stack_trace().frames) == 0
        assert resource._get_source_position(resource._get_stack_trace()) is None
        assert "_get_stack_trace()" in importlib.util.find_spec("pulumi.runtime.resource").loader.get_source(
            "pulumi.runtime.resource")
    finally:
        pulumi.log.debug, resource._get_stack_trace = original, original_trace


def _closure(edges: dict[str, list[str]]) -> dict[str, set[str]]:
    done: dict[str, set[str]] = {}

    def of(key: str) -> set[str]:
        if key not in done:
            done[key] = set()
            for before in edges[key]:
                done[key] |= {before} | of(before)
        return done[key]

    return {key: of(key) for key in edges}


@pytest.mark.parametrize("target", ["postgres", "supabase"])
def test_the_reduced_dependencies_keep_the_plans_whole_order(target):
    """realize gives Pulumi the transitive reduction of `after`: every order the plan has is still implied (the
    engine and the SDK follow dependencies transitively), and no edge that another chain implies is kept."""
    from scheduler_kit.components.realize import last_of, reduced_needs
    from tests.support.plan import kit_plan

    plan = kit_plan(target)
    full = {item.key: list(item.after) for item in plan}
    reduced = reduced_needs(plan)
    assert _closure(reduced) == _closure(full)
    closure = _closure(reduced)
    for key, needs in reduced.items():
        for before in needs:
            assert not any(before in closure[other] for other in needs if other != before), (key, before)
    assert sum(map(len, reduced.values())) < sum(map(len, full.values()))
    last = set(last_of(plan))
    assert all(key in last or any(key in closure[other] for other in last) for key in full)
