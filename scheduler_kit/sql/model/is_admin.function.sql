-- Whether the caller's verified JWT subject is an admin. SECURITY DEFINER so that the lookup table needs no grant
-- to authenticated; search_path is empty and every name is qualified, so a caller cannot redirect it.
-- Policies call it as `(select scheduler_private.is_admin())`: an InitPlan, evaluated once per statement.
-- The lookup's table and columns are stack config (scheduler-kit:adminTable, adminIdColumn, adminRoleColumn,
-- adminRoleValue); the kit quotes them into the placeholders below.
CREATE OR REPLACE FUNCTION scheduler_private.is_admin()
RETURNS boolean
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
  -- Only a non-empty string subject can match: a token without `sub`, with an empty one or a number never does,
  -- whatever rows the users table holds.
  SELECT coalesce(pg_catalog.jsonb_typeof(auth.jwt() -> 'sub') = 'string' AND (auth.jwt() ->> 'sub') <> '', false)
     AND EXISTS (
       SELECT 1
       FROM {{admin_table}} AS u
       WHERE u.{{id_column}} = (auth.jwt() ->> 'sub')
         AND u.{{role_column}} = {{admin_value}}
     )
$$;
