-- The whole ACL of one object, the owner's own privileges aside: by grantee (PUBLIC by that name), its privileges
-- and, for a table, its column privileges; the privileges held WITH GRANT OPTION; for a table, the privileges on
-- the sequences it owns (serial or identity columns), which the kit grants to nobody. NULL when the object does not
-- exist. `object_type` is table, function or schema.
WITH target AS (
  SELECT c.oid, c.relowner AS owner, coalesce(c.relacl, pg_catalog.acldefault('r', c.relowner)) AS acl
    FROM pg_catalog.pg_class c
   WHERE %(object_type)s = 'table' AND c.oid = pg_catalog.to_regclass(%(object)s)
  UNION ALL
  SELECT p.oid, p.proowner, coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))
    FROM pg_catalog.pg_proc p
   WHERE %(object_type)s = 'function' AND p.oid = pg_catalog.to_regprocedure(%(object)s)
  UNION ALL
  SELECT n.oid, n.nspowner, coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner))
    FROM pg_catalog.pg_namespace n
   WHERE %(object_type)s = 'schema' AND n.nspname = %(object)s
),
object_grants AS (
  SELECT CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(x.grantee)::text END AS grantee,
         x.privilege_type::text AS privilege, NULL::text AS column_name, x.is_grantable
    FROM target t, pg_catalog.aclexplode(t.acl) x
   WHERE x.grantee <> t.owner
  UNION ALL
  SELECT CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(x.grantee)::text END,
         x.privilege_type::text, a.attname::text, x.is_grantable
    FROM target t
    JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
   CROSS JOIN pg_catalog.aclexplode(a.attacl) x
   WHERE %(object_type)s = 'table' AND x.grantee <> t.owner
),
owned_sequences AS (
  SELECT s.oid::regclass::text AS sequence, s.relowner AS owner, s.relacl AS acl
    FROM target t
    JOIN pg_catalog.pg_depend d ON d.refobjid = t.oid AND d.classid = 'pg_catalog.pg_class'::regclass
                               AND d.deptype IN ('a', 'i')
    JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S'
   WHERE %(object_type)s = 'table'
)
SELECT
  (SELECT coalesce(jsonb_object_agg(g.grantee, jsonb_build_object(
            'privileges', coalesce((SELECT jsonb_agg(DISTINCT o.privilege ORDER BY o.privilege) FROM object_grants o
                                     WHERE o.grantee = g.grantee AND o.column_name IS NULL), '[]'),
            'columns', coalesce((SELECT jsonb_object_agg(c.privilege, c.columns) FROM (
                                   SELECT o.privilege, jsonb_agg(DISTINCT o.column_name ORDER BY o.column_name) AS columns
                                     FROM object_grants o WHERE o.grantee = g.grantee AND o.column_name IS NOT NULL
                                    GROUP BY o.privilege) c), '{}'))), '{}')
     FROM (SELECT DISTINCT grantee FROM object_grants) g) AS grants,
  (SELECT coalesce(jsonb_object_agg(grantee, privileges), '{}') FROM (
     SELECT grantee, jsonb_agg(DISTINCT privilege || coalesce(' (' || column_name || ')', '') ORDER BY
                               privilege || coalesce(' (' || column_name || ')', '')) AS privileges
       FROM object_grants WHERE is_grantable GROUP BY grantee) w) AS grant_options,
  (SELECT coalesce(jsonb_object_agg(sequence, holders), '{}') FROM (
     SELECT s.sequence, jsonb_object_agg(h.grantee, h.privileges) AS holders FROM owned_sequences s
     CROSS JOIN LATERAL (
       SELECT CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(x.grantee)::text END AS grantee,
              jsonb_agg(x.privilege_type::text ORDER BY x.privilege_type) AS privileges
         FROM pg_catalog.aclexplode(s.acl) x WHERE x.grantee <> s.owner GROUP BY 1) h
     GROUP BY s.sequence) q) AS sequence_grants
FROM target
