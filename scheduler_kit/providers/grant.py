"""Retired: privileges of one grantee on one object, which the per-object Privileges kind (providers/privileges.py)
replaced. Kept by this module and class name for the state of stacks deployed before (see providers/retired.py)."""

from __future__ import annotations

from .retired import RetiredProvider


class GrantProvider(RetiredProvider):
    """A Grant resource's delete must not revoke: its grantee's privileges are now the object's Privileges'."""
