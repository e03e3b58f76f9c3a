SELECT
  (SELECT coalesce(array_agg(x.privilege_type::text ORDER BY x.privilege_type), '{}')
     FROM pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))) x
    WHERE x.grantee = %(grantee_oid)s) AS privileges,
  '{}'::jsonb AS column_privileges
FROM pg_catalog.pg_proc p
WHERE p.oid = pg_catalog.to_regprocedure(%(object)s)
