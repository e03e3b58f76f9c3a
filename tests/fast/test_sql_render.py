import pytest

from scheduler_kit.db import ident, literal, render, sql_text


def test_identifiers_and_literals_are_quoted():
    text = render("SELECT {{col}} FROM {{tbl}} WHERE x = {{val}} AND j = '{}'::jsonb",
                  col="clerk_user_id", tbl=ident('public.we"ird'), val=literal("it's"))
    assert text == "SELECT \"clerk_user_id\" FROM \"public\".\"we\"\"ird\" WHERE x = 'it''s' AND j = '{}'::jsonb"


def test_a_missing_value_is_an_error():
    with pytest.raises(KeyError):
        render("SELECT {{missing}}")


def test_every_model_function_pins_search_path():
    from scheduler_kit.db import SQL_DIR

    functions = sorted(SQL_DIR.glob("model/*.function.sql"))
    assert len(functions) == 14
    for path in functions:
        text = path.read_text()
        # A SECURITY DEFINER body names pg_temp last (else the caller's temporary schema is searched first).
        pinned = "SET search_path = pg_catalog, pg_temp" if "SECURITY DEFINER" in text else "SET search_path = ''"
        assert pinned in text, path.name


def test_is_admin_template_fills_every_placeholder():
    text = render(sql_text("model/is_admin.function.sql"), admin_table=ident("public.users"),
                  id_column=ident("clerk_user_id"), role_column=ident("role"), admin_value=literal("admin"))
    assert "{{" not in text and '"public"."users"' in text and "'admin'" in text


def test_the_supabase_migration_leaves_the_platform_base_alone():
    from scheduler_kit.export_sql import build

    supabase, postgres = build("supabase", protect_history=True), build("postgres", protect_history=True)
    for platform_object in ("CREATE ROLE", "CREATE OR REPLACE FUNCTION auth.jwt()", "CREATE TABLE IF NOT EXISTS public.users"):
        assert platform_object not in supabase and platform_object in postgres
    assert supabase.count("CREATE POLICY") == 12  # the seed's eight and the statistics rollups' four
