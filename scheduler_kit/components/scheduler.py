"""The scheduler's database objects: tables, statistics trigger, helper functions, RLS, policies and grants."""

from __future__ import annotations

from typing import Mapping, Optional, Sequence

import pulumi

from .. import TYPE_PREFIX
from ..config import StackSettings
from ..model import scheduler_plan
from .realize import realize


class SchedulerDatabase(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        settings: StackSettings,
        not_valid: Optional[Mapping[str, Sequence[str]]] = None,
        depends_on: Sequence[pulumi.Resource] = (),
        opts: Optional[pulumi.ResourceOptions] = None,
    ):
        super().__init__(f"{TYPE_PREFIX}:index:SchedulerDatabase", name, None, opts)
        self.resources = realize(self, scheduler_plan(settings, not_valid), depends_on)
        self.register_outputs({
            "policies": [r.id for k, r in self.resources.items() if k.startswith("policy-")],
            "tables": [r.id for k, r in self.resources.items() if k.startswith("table-")],
        })
