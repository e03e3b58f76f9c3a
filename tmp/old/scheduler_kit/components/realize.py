"""Turns a plan (scheduler_kit.model) into Pulumi resources under a component."""

from __future__ import annotations

from typing import Sequence

import pulumi

from ..model import Planned


def realize(parent: pulumi.Resource, plan: Sequence[Planned], depends_on: Sequence[pulumi.Resource] = ()) -> dict[str, pulumi.Resource]:
    made: dict[str, pulumi.Resource] = {}
    for item in plan:
        needs = [made[key] for key in item.after]  # a KeyError here is a plan that lists an object before its needs
        opts = pulumi.ResourceOptions(
            parent=parent,
            depends_on=[*depends_on, *needs],
            protect=item.protect,
            retain_on_delete=item.protect,
        )
        made[item.key] = item.kind(item.key, item.inputs, opts)
    return made
