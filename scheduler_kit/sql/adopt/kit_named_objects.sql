-- Objects of the kit's names that exist before the kit has kept this database: what the first deploy replaces.
SELECT 'function' AS kind,
       pg_catalog.format('%%I.%%I(%%s)', n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)) AS name,
       (p.oid = pg_catalog.to_regprocedure(f.signature)) AS same_signature
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_catalog.unnest(%(signatures)s::text[]) AS f(signature)
    ON n.nspname = pg_catalog.split_part(f.signature, '.', 1)
   AND p.proname = pg_catalog.split_part(pg_catalog.split_part(f.signature, '.', 2), '(', 1)
UNION ALL
SELECT 'policy', pg_catalog.format('%%s on %%s', pol.polname, pol.polrelid::regclass), true
  FROM pg_catalog.pg_policy pol
 WHERE pol.polrelid::regclass::text = ANY (%(tables)s::text[]) AND pol.polname::text = ANY (%(policies)s::text[])
UNION ALL
SELECT 'trigger', pg_catalog.format('%%s on %%s', t.tgname, t.tgrelid::regclass), true
  FROM pg_catalog.pg_trigger t
 WHERE NOT t.tgisinternal AND t.tgrelid::regclass::text = ANY (%(tables)s::text[])
   AND t.tgname::text = ANY (%(triggers)s::text[])
ORDER BY 1, 2
