"""Turns a plan (scheduler_kit.model) into Pulumi resources under a component.

Each resource gets, as `depends_on`, only the needs that no other of its needs already follows (the transitive
reduction of the plan's `after`), and the component's outside dependencies only where it needs nothing inside the
plan. The order is exactly the plan's: every edge left out is implied by a chain of edges kept, and the engine orders
creates, deletes and replacements by those chains (transitively), the SDK waits for them before it registers a
resource. What it saves is state: the model's full lists were 2,617 edges (40 % of the checkpoint the file backend
writes before and after every step of an up), the reduced ones 304 (docs/deploy-speed.md).
"""

from __future__ import annotations

from typing import Sequence

import pulumi

from ..model import Planned


def reduced_needs(plan: Sequence[Planned]) -> dict[str, list[str]]:
    """By key, the plan's `after` without the needs that another of the same item's needs follows already."""
    follows: dict[str, set[str]] = {}  # key: every key it comes after, directly or not
    direct: dict[str, list[str]] = {}
    for item in plan:
        implied: set[str] = set()
        for key in item.after:
            implied |= follows[key]  # a KeyError here is a plan that lists an object before its needs
        direct[item.key] = [key for key in dict.fromkeys(item.after) if key not in implied]
        follows[item.key] = implied | set(item.after)
    return direct


def last_of(plan: Sequence[Planned]) -> list[str]:
    """The keys nothing else in the plan comes after: waiting for these is waiting for the whole plan."""
    needed = {key for item in plan for key in item.after}
    return [item.key for item in plan if item.key not in needed]


def realize(parent: pulumi.Resource, plan: Sequence[Planned], depends_on: Sequence[pulumi.Resource] = ()) -> dict[str, pulumi.Resource]:
    """`depends_on`: what the whole plan comes after (given to the items that need nothing else in it; every other
    item follows one of those)."""
    made: dict[str, pulumi.Resource] = {}
    direct = reduced_needs(plan)
    for item in plan:
        needs = direct[item.key]
        opts = pulumi.ResourceOptions(
            parent=parent,
            depends_on=[*(() if item.after else depends_on), *(made[key] for key in needs)],
            protect=item.protect,
            retain_on_delete=item.protect,
        )
        made[item.key] = item.kind(item.key, item.inputs, opts)
    return made
