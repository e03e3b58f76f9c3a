SELECT
  (SELECT coalesce(array_agg(x.privilege_type::text ORDER BY x.privilege_type), '{}')
     FROM pg_catalog.aclexplode(coalesce(c.relacl, pg_catalog.acldefault('r', c.relowner))) x
    WHERE x.grantee = %(grantee_oid)s) AS privileges,
  (SELECT coalesce(jsonb_object_agg(p.privilege_type, p.columns), '{}')
     FROM (SELECT x.privilege_type::text AS privilege_type, jsonb_agg(a.attname::text ORDER BY a.attname) AS columns
             FROM pg_catalog.pg_attribute a, pg_catalog.aclexplode(a.attacl) x
            WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND x.grantee = %(grantee_oid)s
            GROUP BY x.privilege_type) p) AS column_privileges
FROM pg_catalog.pg_class c
WHERE c.oid = pg_catalog.to_regclass(%(object)s)
