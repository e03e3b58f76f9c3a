SELECT p.permissive, p.roles::text[] AS roles, p.cmd AS command, p.qual AS using_expression, p.with_check
FROM pg_catalog.pg_policies p
WHERE p.schemaname || '.' || p.tablename = %(table)s
  AND p.policyname = %(name)s
