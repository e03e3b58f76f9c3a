SELECT md5(pg_catalog.pg_get_functiondef(p.oid)) AS definition_md5,
       p.prosecdef AS security_definer,
       p.proconfig AS settings,
       -- Other functions of the same name: applying drops them (see replace.sql), so one appearing is drift.
       (SELECT pg_catalog.array_agg(pg_catalog.format('%%I.%%I(%%s)', n.nspname, q.proname,
                                                      pg_catalog.pg_get_function_identity_arguments(q.oid)) ORDER BY 1)
          FROM pg_catalog.pg_proc q JOIN pg_catalog.pg_namespace n ON n.oid = q.pronamespace
         WHERE q.pronamespace = p.pronamespace AND q.proname = p.proname AND q.oid <> p.oid) AS overloads
FROM pg_catalog.pg_proc p
WHERE p.oid = pg_catalog.to_regprocedure(%(signature)s)
