-- Supabase's auth.jwt(): the verified JWT claims PostgREST (or the kit's gateway) put in the transaction settings.
-- Created only on target postgres; on Supabase the platform owns it.
CREATE OR REPLACE FUNCTION auth.jwt()
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = ''
AS $$
  SELECT coalesce(
    nullif(pg_catalog.current_setting('request.jwt.claim', true), ''),
    nullif(pg_catalog.current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;
