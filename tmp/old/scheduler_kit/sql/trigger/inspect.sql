SELECT pg_catalog.pg_get_triggerdef(t.oid) AS definition,
       t.tgenabled::text AS enabled
FROM pg_catalog.pg_trigger t
WHERE t.tgrelid = pg_catalog.to_regclass(%(table)s)
  AND t.tgname = %(name)s
  AND NOT t.tgisinternal
