"""The plan's order keeps every moment safe (issue 17): a table's grants come after its RLS and all its policies, so
a deploy widens access last and a removal or destroy (the reverse order) revokes it before any policy goes; every
object carries its final ACL, which its own transaction narrows to."""

from __future__ import annotations

import pytest

from scheduler_kit.model import Policy, Privileges, RowSecurity, object_acls
from tests.support.plan import kit_plan


def needs(plan, key, seen=None) -> set:
    by_key = {item.key: item for item in plan}
    seen = set() if seen is None else seen
    for before in by_key[key].after:
        if before not in seen:
            seen.add(before)
            needs(plan, before, seen)
    return seen


@pytest.mark.parametrize("target", ["postgres", "supabase"])
def test_a_tables_grants_come_after_its_rls_and_every_policy_on_it(target):
    plan = kit_plan(target)
    guards = {}
    for item in plan:
        if item.kind is Policy:
            guards.setdefault(item.inputs.table, set()).add(item.key)
        if item.kind is RowSecurity:
            guards.setdefault(item.inputs.table, set()).add(item.key)
    grants = [item for item in plan if item.kind is Privileges and item.inputs.object_type == "table"]
    assert grants
    for grant in grants:
        missing = guards.get(grant.inputs.object, set()) - needs(plan, grant.key)
        assert not missing, f"{grant.key} may run before {sorted(missing)}"


@pytest.mark.parametrize("target", ["postgres", "supabase"])
def test_every_object_carries_the_final_acl_its_grants_add_up_to(target):
    plan = kit_plan(target)
    acls = object_acls(plan)
    carried = {(kind, name): item.inputs.final_acl for item in plan
               for kind, name in [(k, getattr(item.inputs, "name", None) or getattr(item.inputs, "signature", None))
                                  for k in [{"Table": "table", "Function": "function", "Schema": "schema"}.get(
                                      item.kind.__name__)]] if kind}
    assert carried == acls
