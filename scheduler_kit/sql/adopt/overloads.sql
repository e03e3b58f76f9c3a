-- The adoption survey: every function of the kit's names whose signature is not the kit's (callers would get
-- "function ... is not unique"), for all the kit's functions in one query; by the kit's function name in the order
-- given, then by signature. One row of the arrays per name: schema, name, and the kit's signature for it.
-- (Multi-array unnest is FROM-clause syntax, unqualified; the survey runs with search_path = pg_catalog, pg_temp.)
SELECT pg_catalog.format('%%I.%%I(%%s)', n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid))
       AS signature
FROM unnest(%(schemas)s::text[], %(names)s::text[], %(signatures)s::text[])
       WITH ORDINALITY AS kit(schema_name, function_name, signature, position)
JOIN pg_catalog.pg_namespace n ON n.nspname = kit.schema_name
JOIN pg_catalog.pg_proc p ON p.pronamespace = n.oid AND p.proname = kit.function_name
WHERE p.oid IS DISTINCT FROM pg_catalog.to_regprocedure(kit.signature)
ORDER BY kit.position, 1
