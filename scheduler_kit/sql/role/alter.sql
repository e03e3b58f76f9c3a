-- Roles are cluster-wide, shared by every database: ALTER ROLE rewrites the role's pg_authid row even when nothing
-- changes, and two deploys (of two databases of one cluster) doing so at once fail with "tuple concurrently
-- updated". So the row is written only when an attribute differs.
DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_catalog.pg_roles
              WHERE rolname = {{role_name}}
                AND (rolcanlogin, rolbypassrls, rolinherit) IS DISTINCT FROM ({{login}}, {{bypass_rls}}, {{inherit}})) THEN
    ALTER ROLE {{name}} {{attributes}};
  END IF;
END
$$
