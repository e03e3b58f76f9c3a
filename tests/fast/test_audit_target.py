"""The audit's target comes from POLICY_TEST_TARGET, or else from who owns `auth` and the kit's tables."""

import pytest

from tests.support.audit_target import CatalogFacts, TargetUnknown, choose_target, explicit_target

SUPABASE = CatalogFacts(has_supabase_admin=True, auth_owner="supabase_admin", kit_owner="postgres",
                        jwt_owner="supabase_auth_admin", users_owner="postgres")
KIT_BASE = CatalogFacts(has_supabase_admin=False, auth_owner="postgres", kit_owner="postgres",
                        jwt_owner="postgres", users_owner="postgres")


def test_a_supabase_project():
    choice = choose_target(SUPABASE)
    assert choice.target == "supabase"
    assert "supabase_admin exists" in choice.reason and "belongs to supabase_admin" in choice.reason


def test_a_plain_database_the_kit_gave_the_supabase_base():
    choice = choose_target(KIT_BASE)
    assert choice.target == "postgres"
    assert choice.header.startswith("audit target: postgres (no role supabase_admin;")


@pytest.mark.parametrize("facts, named", [
    (CatalogFacts(True, "postgres", "postgres", "postgres", "postgres"), "supabase_admin exists"),
    (CatalogFacts(False, "someone_else", "postgres", "postgres", "postgres"), "schema auth to someone_else"),
    (CatalogFacts(False, "postgres", "postgres", None, "postgres"), "auth.jwt() to (missing)"),
    (CatalogFacts(False, "postgres", "postgres", "postgres", "app_owner"), "public.users to app_owner"),
])
def test_anything_else_is_ambiguous_and_asks_for_the_variable(facts, named):
    with pytest.raises(TargetUnknown, match="set POLICY_TEST_TARGET=postgres or supabase") as refused:
        choose_target(facts)
    assert named in str(refused.value)


def test_a_database_without_the_kit_or_without_auth():
    with pytest.raises(TargetUnknown, match="the kit is not deployed"):
        choose_target(CatalogFacts(True, "supabase_admin", None, None, None))
    with pytest.raises(TargetUnknown, match="no schema `auth`"):
        choose_target(CatalogFacts(False, None, "postgres", None, None))


@pytest.mark.parametrize("value, target", [("postgres", "postgres"), ("supabase", "supabase"), (" Supabase ", "supabase")])
def test_the_variable_wins(value, target):
    assert explicit_target(value).target == target


@pytest.mark.parametrize("value", ["supa", "postgresql", "true"])
def test_a_wrong_value_is_an_error_naming_it_and_the_choices(value):
    with pytest.raises(TargetUnknown, match=rf"POLICY_TEST_TARGET='{value}' is not a target; set it to postgres"):
        explicit_target(value)
