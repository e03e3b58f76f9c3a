-- The pgTAP assertions the generated suite is made of, one expression each under `-- <name>`; scheduler_kit/pgtap.py
-- fills {{...}} with quoted literals and wraps each in `SELECT ...;` (or in a CASE that skips it on the other target).
-- rls_forced
ok(coalesce((SELECT c.relrowsecurity AND c.relforcerowsecurity FROM pg_catalog.pg_class c WHERE c.oid = to_regclass({{table}})), false), {{description}})
-- policies_are
policies_are({{schema}}, {{table}}, {{names}}::name[], {{description}})
-- policy_cmd_is
policy_cmd_is({{schema}}, {{table}}, {{policy}}::name, {{command}}::text, {{description}})
-- policy_roles_are
policy_roles_are({{schema}}, {{table}}, {{policy}}::name, {{roles}}::name[], {{description}})
-- admin_check_wrapped
ok(coalesce((SELECT ltrim(coalesce(p.qual, '') || coalesce(p.with_check, '')) LIKE '( SELECT%' FROM pg_catalog.pg_policies p WHERE p.schemaname = {{schema}} AND p.tablename = {{table}} AND p.policyname = {{policy}}), false), {{description}})
-- table_privs_are
table_privs_are({{schema}}, {{table}}, {{role}}::name, {{privileges}}::name[], {{description}})
-- column_grants_are
set_eq(format('SELECT a.attname || %L || x.privilege_type FROM pg_catalog.pg_attribute a, aclexplode(a.attacl) x WHERE a.attrelid = to_regclass(%L) AND x.grantee = %s', ':', {{qualified}}::text, coalesce((SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = {{role}}), 0)), {{grants}}::text[], {{description}})
-- function_privs_are
function_privs_are({{schema}}, {{function}}, {{arguments}}::name[], {{role}}::name, {{privileges}}::name[], {{description}})
-- schema_privs_are
schema_privs_are({{schema}}, {{role}}::name, {{privileges}}::name[], {{description}})
-- security_mode
is((SELECT p.prosecdef FROM pg_catalog.pg_proc p WHERE p.oid = to_regprocedure({{signature}})), {{definer}}::boolean, {{description}})
-- search_path
is((SELECT ARRAY(SELECT c FROM unnest(p.proconfig) AS c WHERE c LIKE 'search_path=%') FROM pg_catalog.pg_proc p WHERE p.oid = to_regprocedure({{signature}})), {{setting}}::text[], {{description}})
-- may_not_become
ok(NOT pg_has_role('authenticator', {{role}}::name, 'MEMBER'), {{description}})
-- cell
is(pg_temp.kit_outcome({{role}}, {{claims}}, {{statement}}, {{measure}}, {{total_of}}), {{expected}}, {{description}})
-- cell_if_session_may_become
CASE WHEN pg_has_role(session_user, {{role}}::name, 'MEMBER') THEN is(pg_temp.kit_outcome({{role}}, {{claims}}, {{statement}}, {{measure}}, {{total_of}}), {{expected}}, {{description}}) ELSE skip({{skip_reason}}, 1) END
-- expected_by_target
CASE current_setting('scheduler_kit.target') WHEN 'postgres' THEN {{postgres}} ELSE {{supabase}} END
-- only_on_target
CASE WHEN current_setting('scheduler_kit.target') = {{target}} THEN {{assertion}} ELSE skip({{why}}, 1) END
