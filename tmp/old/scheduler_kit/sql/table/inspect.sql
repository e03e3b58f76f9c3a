SELECT
  (SELECT coalesce(jsonb_agg(jsonb_build_array(a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
                                               pg_catalog.pg_get_expr(d.adbin, d.adrelid)) ORDER BY a.attnum), '[]')
     FROM pg_catalog.pg_attribute a
     LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
  (SELECT coalesce(jsonb_agg(jsonb_build_array(k.conname, pg_catalog.pg_get_constraintdef(k.oid)) ORDER BY k.conname), '[]')
     FROM pg_catalog.pg_constraint k
    WHERE k.conrelid = c.oid) AS constraints,
  (SELECT coalesce(jsonb_agg(pg_catalog.pg_get_indexdef(i.indexrelid) ORDER BY i.indexrelid::regclass::text), '[]')
     FROM pg_catalog.pg_index i
    WHERE i.indrelid = c.oid) AS indexes
FROM pg_catalog.pg_class c
WHERE c.oid = pg_catalog.to_regclass(%(name)s)
