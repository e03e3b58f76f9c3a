SELECT coalesce(array_agg(a.attname::text ORDER BY a.attnum), '{}') AS columns
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = pg_catalog.to_regclass(%(object)s) AND a.attnum > 0 AND NOT a.attisdropped
