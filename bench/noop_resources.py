"""Dynamic resources that do nothing: the floor under the deploy bench's ratio 1 (bench/deploy_bench.py).

A program of as many of these as the model has dynamic resources, in chains as deep as the model's deepest, run with the
kit's own launch measures (the provider's early start, the SDK's debug lines dropped, both processes' quick exit),
costs what the SDK, the engine and the dynamic provider's process cost for that many resources and nothing else:
their Check answers the inputs back, their Diff finds no change, and no database is read. The model's no-op preview
can only be slower than this program's; how much slower is what the kit's own code costs.
"""

from __future__ import annotations

from typing import Any

from pulumi import ResourceOptions
from pulumi.dynamic import CheckResult, ConfigureRequest, CreateResult, DiffResult, Resource, ResourceProvider

from scheduler_kit.quick_exit import end_provider_at_once

# Inputs of about the size of the model's smaller resources.
PROPERTIES = 8


class NoopProvider(ResourceProvider):
    def configure(self, _request: ConfigureRequest) -> None:
        end_provider_at_once(lambda: None)  # as the kit's providers do: only the provider's own process configures

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, [])

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        return DiffResult(changes=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"noop-{props['index']}", props)


class NoopResource(Resource):
    def __init__(self, name: str, props: dict[str, Any], opts: ResourceOptions | None = None):
        super().__init__(NoopProvider(), name, props, opts)


def declare(count: int, depth: int) -> list[NoopResource]:
    """`count` resources in chains of `depth`: each depends on the one before it except at the start of a chain."""
    resources: list[NoopResource] = []
    for index in range(count):
        props = {"index": str(index), **{f"field{k}": f"value {k} of resource {index}" for k in range(PROPERTIES)}}
        after = [resources[-1]] if index % depth else []
        resources.append(NoopResource(f"noop-{index}", props, ResourceOptions(depends_on=after)))
    return resources


PROGRAM = """\
# The deploy bench's floor program: {count} dynamic resources that do nothing, in chains of {depth}
# (bench/noop_resources.py), launched as the kit's __main__.py launches its own.
from scheduler_kit.provider_warmup import start_dynamic_provider_now

start_dynamic_provider_now()

from bench.noop_resources import declare  # noqa: E402
from scheduler_kit.quick_exit import end_program_at_once  # noqa: E402
from scheduler_kit.sdk_chatter import drop_sdk_debug_messages  # noqa: E402

drop_sdk_debug_messages()
end_program_at_once()
declare({count}, {depth})
"""


def program_text(count: int, depth: int) -> str:
    return PROGRAM.format(count=count, depth=depth)
