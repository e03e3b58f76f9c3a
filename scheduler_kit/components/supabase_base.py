"""What a Supabase project already has and the scheduler relies on, created on plain PostgreSQL (target postgres):
the API roles, `auth.jwt()`, and a `users` table holding each user's Clerk id and role."""

from __future__ import annotations

from typing import Optional

import pulumi

from .. import TYPE_PREFIX
from ..config import StackSettings
from ..model import supabase_base_plan
from .realize import last_of, realize


class SupabaseBase(pulumi.ComponentResource):
    def __init__(self, name: str, settings: StackSettings, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(f"{TYPE_PREFIX}:index:SupabaseBase", name, None, opts)
        plan = supabase_base_plan(settings)
        self.resources = realize(self, plan)
        # What the scheduler's objects wait for: the base's last resources, which come after all the others.
        self.ready = [self.resources[key] for key in last_of(plan)]
        self.register_outputs({"roles": [r.id for k, r in self.resources.items() if k.startswith("role-")]})
