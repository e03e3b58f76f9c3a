SELECT pg_catalog.format('%%I.%%I(%%s)', n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid))
       AS signature
FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = %(schema)s AND p.proname = %(name)s
  AND p.oid IS DISTINCT FROM pg_catalog.to_regprocedure(%(signature)s)
ORDER BY 1
