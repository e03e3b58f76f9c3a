SELECT md5(pg_catalog.pg_get_functiondef(p.oid)) AS definition_md5,
       p.prosecdef AS security_definer,
       p.proconfig AS settings
FROM pg_catalog.pg_proc p
WHERE p.oid = pg_catalog.to_regprocedure(%(signature)s)
