"""The catalog comparison names every difference: object, aspect, what the plan says, what the database says."""

from tests.support.catalog_snapshot import differences

PLANNED = {
    ("policy public.t.p", "USING"): "( SELECT is_admin())",
    ("policy public.t.p", "roles"): "authenticated",
    ("constraint public.t.c", "definition"): "CHECK ((x >= 0))",
    ("constraint public.t.c", "validated (checked against every existing row)"): "true",
}


def test_equal_snapshots_have_no_differences():
    assert differences(PLANNED, dict(PLANNED)) == []


def test_a_changed_fact_is_named_with_both_values():
    live = {**PLANNED, ("policy public.t.p", "USING"): "true"}
    assert differences(PLANNED, live) == [
        "policy public.t.p: USING: the plan says '( SELECT is_admin())', the database says 'true'"]


def test_a_not_valid_constraint_is_a_difference():
    live = {**PLANNED, ("constraint public.t.c", "validated (checked against every existing row)"): "false"}
    assert differences(PLANNED, live) == ["constraint public.t.c: validated (checked against every existing row): "
                                          "the plan says 'true', the database says 'false'"]


def test_missing_and_extra_objects_are_named_once():
    live = {k: v for k, v in PLANNED.items() if not k[0].startswith("constraint")}
    live[("trigger public.t.extra", "definition")] = "CREATE TRIGGER extra ..."
    assert differences(PLANNED, live) == [
        "constraint public.t.c: the plan has it, the database does not",
        "trigger public.t.extra: the database has it, the plan does not (definition: 'CREATE TRIGGER extra ...')"]
