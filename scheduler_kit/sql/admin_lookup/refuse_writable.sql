-- For `make sql`: the same refusal as the AdminLookup resource, as a statement that fails the migration.
DO $refuse$
DECLARE
  found text;
BEGIN
  SELECT pg_catalog.string_agg(w.role || ' may ' || w.command || ' ' || pg_catalog.array_to_string(w.columns, ', ')
                               || ' and ' || w.open_because, '; ')
    INTO found
    FROM ({{writers}}) AS w;
  IF found IS NOT NULL THEN
    RAISE EXCEPTION 'the admin lookup table % is writable by API callers: %', {{table}}, found
      USING HINT = 'REVOKE INSERT, UPDATE on it FROM anon, authenticated (or enable row level security with no write policy for them), then run the migration again.';
  END IF;
END
$refuse$
