"""The deploy bench's floor program (bench/noop_resources.py) is launched as the kit's __main__.py is: otherwise the
floor it prints under ratio 1 would compare the model with a program that starts or ends differently."""

from __future__ import annotations

import ast
import types
from pathlib import Path

from bench.noop_resources import program_text

ROOT = Path(__file__).resolve().parents[2]
# The modules whose calls change how a program's processes start and end, not what it declares.
LAUNCH_MODULES = ("scheduler_kit.provider_warmup", "scheduler_kit.quick_exit", "scheduler_kit.sdk_chatter")


def launch_calls(source: str) -> list[str]:
    """The top-level calls of a program to functions imported from the launch modules, in order."""
    tree = ast.parse(source)
    imported = {alias.asname or alias.name for node in tree.body if isinstance(node, ast.ImportFrom)
                and node.module in LAUNCH_MODULES for alias in node.names}
    return [node.value.func.id for node in tree.body
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name) and node.value.func.id in imported]


def test_the_floor_program_makes_the_kits_launch_calls_in_the_same_order():
    kit = launch_calls((ROOT / "__main__.py").read_text())
    assert kit == ["start_dynamic_provider_now", "drop_sdk_debug_messages", "end_program_at_once"]
    assert launch_calls(program_text(72, 7)) == kit


def test_the_floor_program_declares_the_count_and_depth_it_is_given():
    tree = ast.parse(program_text(72, 7))
    declared = [[arg.value for arg in node.value.args] for node in tree.body if isinstance(node, ast.Expr)
                and isinstance(node.value, ast.Call) and getattr(node.value.func, "id", None) == "declare"]
    assert declared == [[72, 7]]


def test_declare_makes_chains_of_the_depth_given(monkeypatch):
    """Each resource waits for the one before it, except the first of each chain: the longest chain is `depth`."""
    import bench.noop_resources as noop

    made = []

    class Recorded:
        def __init__(self, name, props, opts):
            self.name, self.after = name, list(opts.depends_on or [])
            made.append(self)

    monkeypatch.setattr(noop, "NoopResource", Recorded)
    monkeypatch.setattr(noop, "ResourceOptions", lambda depends_on: types.SimpleNamespace(depends_on=depends_on))
    noop.declare(17, 7)

    def chain(resource):
        return 1 + max((chain(before) for before in resource.after), default=0)

    assert len(made) == 17 and len({r.name for r in made}) == 17
    assert max(map(chain, made)) == 7
    assert [chain(r) for r in made] == [1 + i % 7 for i in range(17)]
