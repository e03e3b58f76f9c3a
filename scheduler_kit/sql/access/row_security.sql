-- Whether row level security is on (and forced) for each table of the schema.
SELECT c.relname::text, c.relrowsecurity, c.relforcerowsecurity
  FROM pg_catalog.pg_class c
 WHERE c.relnamespace = to_regnamespace(%(schema)s) AND c.relkind IN ('r', 'p')
 ORDER BY c.relname;
