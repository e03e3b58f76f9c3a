SELECT c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced
FROM pg_catalog.pg_class c
WHERE c.oid = pg_catalog.to_regclass(%(table)s)
