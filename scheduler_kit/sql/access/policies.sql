-- Every row level security policy on a table of the schema: what decides the cells of that table.
SELECT p.tablename::text, p.policyname::text, p.cmd::text, p.roles::text[], p.permissive::text,
       coalesce(p.qual, ''), coalesce(p.with_check, '')
  FROM pg_catalog.pg_policies p
 WHERE p.schemaname = %(schema)s
 ORDER BY p.tablename, p.policyname;
