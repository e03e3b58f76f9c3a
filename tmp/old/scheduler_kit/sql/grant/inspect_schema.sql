SELECT
  (SELECT coalesce(array_agg(x.privilege_type::text ORDER BY x.privilege_type), '{}')
     FROM pg_catalog.aclexplode(coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner))) x
    WHERE x.grantee = %(grantee_oid)s) AS privileges,
  '{}'::jsonb AS column_privileges
FROM pg_catalog.pg_namespace n
WHERE n.nspname = %(object)s
