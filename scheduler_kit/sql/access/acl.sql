-- Every privilege granted on the tables, columns and functions of the schema, one row per grantee and privilege
-- (the owner's implicit ones included, as the ACL holds them): which grant allowed a cell.
SELECT 'table' AS kind, c.relname::text AS object, NULL::text AS column_name,
       CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(x.grantee)::text END AS grantee,
       x.privilege_type::text
  FROM pg_catalog.pg_class c, pg_catalog.aclexplode(coalesce(c.relacl, pg_catalog.acldefault('r', c.relowner))) x
 WHERE c.relnamespace = to_regnamespace(%(schema)s) AND c.relkind IN ('r', 'p')
UNION ALL
SELECT 'column', c.relname::text, a.attname::text,
       CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(x.grantee)::text END,
       x.privilege_type::text
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped,
       pg_catalog.aclexplode(a.attacl) x
 WHERE c.relnamespace = to_regnamespace(%(schema)s) AND c.relkind IN ('r', 'p')
UNION ALL
SELECT 'function', p.proname::text, NULL,
       CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(x.grantee)::text END,
       x.privilege_type::text
  FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))) x
 WHERE p.pronamespace = to_regnamespace(%(schema)s)
 ORDER BY 1, 2, 3 NULLS FIRST, 4, 5;
