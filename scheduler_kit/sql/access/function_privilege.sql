-- Whether a role may execute a function, named without its arguments (the kit does not overload them), and its
-- security mode.
SELECT pg_catalog.has_function_privilege(%(role)s, p.oid, 'EXECUTE'), p.prosecdef
  FROM pg_catalog.pg_proc p
 WHERE p.pronamespace = to_regnamespace(%(schema)s) AND p.proname = %(name)s
 ORDER BY p.oid
 LIMIT 1;
