"""What a Supabase project already has and the scheduler relies on, created on plain PostgreSQL (target postgres):
the API roles, `auth.jwt()`, and a `users` table holding each user's Clerk id and role."""

from __future__ import annotations

from typing import Optional

import pulumi

from .. import TYPE_PREFIX
from ..providers.role import Role, RoleInputs
from ..providers.row_security import RowSecurity, RowSecurityInputs
from ..providers.schema import Schema, SchemaInputs
from ..providers.table import Table, TableInputs
from .objects import child, function, grants, model_sql

API_ROLES = ("anon", "authenticated", "service_role")


class SupabaseBase(pulumi.ComponentResource):
    def __init__(self, name: str, drop_users_on_delete: bool, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(f"{TYPE_PREFIX}:index:SupabaseBase", name, None, opts)
        self.roles = [
            Role(f"role-{role}", RoleInputs(name=role, bypass_rls=(role == "service_role")), child(self))
            for role in API_ROLES
        ]
        auth = Schema("schema-auth", SchemaInputs(name="auth"), child(self))
        jwt = function(self, "auth.jwt()", "auth_jwt", depends_on=[auth])
        users = Table(
            "table-users",
            TableInputs(name="public.users", definition=model_sql("users.table"), drop_on_delete=drop_users_on_delete),
            child(self),
        )
        users_rls = RowSecurity("rls-users", RowSecurityInputs(table="public.users"), child(self, [users]))
        access = [
            *grants(self, "schema", "auth", {role: ["USAGE"] for role in API_ROLES}, depends_on=[auth, *self.roles]),
            *grants(
                self, "function", "auth.jwt()", {"PUBLIC": [], **{role: ["EXECUTE"] for role in API_ROLES}},
                depends_on=[jwt, *self.roles],
            ),
            # Users are the service's business; the admin check reads them through a SECURITY DEFINER helper.
            *grants(
                self, "table", "public.users",
                {"PUBLIC": [], "anon": [], "authenticated": [], "service_role": ["SELECT", "INSERT", "UPDATE", "DELETE"]},
                depends_on=[users, *self.roles],
            ),
        ]
        # What the scheduler may depend on: everything above exists once these are done.
        self.ready: list[pulumi.Resource] = [*self.roles, auth, jwt, users, users_rls, *access]
        self.register_outputs({"roles": [r.id for r in self.roles]})
