-- Applies one function of the kit: first drops the other functions of the same schema and name (another signature
-- beside the kit's makes every caller of an untyped argument fail with "function ... is not unique"; the seed's
-- one-argument get_job_execution_stats(text) is one), then creates or replaces it; when PostgreSQL cannot replace
-- it in place (an existing function of that signature returns another type or names its arguments otherwise, as
-- the seed's helpers may), drops and creates it. One transaction: callers never see it missing.
DO $apply_function$
DECLARE
  other record;
  -- Dollar-quoted, so the definition reads here (and in `make sql`'s file) exactly as in its .sql file.
  definition text := {{definition}};
BEGIN
  FOR other IN SELECT pg_catalog.format('%I.%I(%s)', n.nspname, p.proname,
                                        pg_catalog.pg_get_function_identity_arguments(p.oid)) AS signature
                 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = {{schema}} AND p.proname = {{name}}
                  AND p.oid IS DISTINCT FROM pg_catalog.to_regprocedure({{signature}}) LOOP
    EXECUTE 'DROP FUNCTION ' || other.signature;
  END LOOP;
  BEGIN
    EXECUTE definition;
  EXCEPTION WHEN invalid_function_definition THEN
    EXECUTE 'DROP FUNCTION ' || {{signature}};
    EXECUTE definition;
  END;
END
$apply_function$
