-- Whether the caller's verified JWT subject is an admin. SECURITY DEFINER so that the lookup table needs no grant
-- to authenticated; every name is qualified and search_path lists pg_temp last (with '' PostgreSQL would search
-- the caller's temporary schema first for types and relations), so a caller cannot redirect it.
-- Policies call it as `(select scheduler_private.is_admin())`: an InitPlan, evaluated once per statement.
-- PL/pgSQL rather than SQL: a SQL function with a SET clause is planned again on every call, PL/pgSQL keeps the
-- lookup's plan for the session, which keeps the per-statement cost of the admin check to a few microseconds.
-- It reads the claims the same way auth.jwt() does (request.jwt.claims, set by PostgREST or the kit's gateway).
-- The lookup's table and columns are stack config (scheduler-kit:adminTable, adminIdColumn, adminRoleColumn,
-- adminRoleValue); the kit quotes them into the placeholders below.
CREATE OR REPLACE FUNCTION scheduler_private.is_admin()
RETURNS boolean
LANGUAGE plpgsql
STABLE
-- Not PARALLEL UNSAFE (the default): an unsafe function anywhere in a policy keeps the whole query serial, which
-- made an admin's count(*) over the history far slower than the service's parallel scan. RESTRICTED lets the
-- query run in parallel while the check itself runs once, in the leader.
PARALLEL RESTRICTED
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  claims jsonb := nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb;
  subject text;
BEGIN
  -- Only a non-empty string subject can match: a token without `sub`, with an empty one or a number never does,
  -- whatever rows the users table holds.
  IF claims IS NULL OR pg_catalog.jsonb_typeof(claims -> 'sub') IS DISTINCT FROM 'string' THEN
    RETURN false;
  END IF;
  subject := claims ->> 'sub';
  IF subject = '' THEN
    RETURN false;
  END IF;
  RETURN EXISTS (
    SELECT 1
    FROM {{admin_table}} AS u
    WHERE u.{{id_column}} = subject
      AND u.{{role_column}} = {{admin_value}}
  );
END
$$;
