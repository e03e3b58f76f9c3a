-- The per-database part of the Supabase shape (default privileges, schemas, auth functions, an application's users
-- table). Run as supabase_admin in each database that should look like a Supabase project's `postgres` database;
-- the kit's test databases are copies of a template shaped by this file, so they carry the same default privileges.
\set ON_ERROR_STOP on
SET client_min_messages = warning;

-- The database belongs to postgres; PostgreSQL 15's public schema belongs to pg_database_owner, so postgres owns it.
GRANT ALL ON DATABASE :"dbname" TO postgres;
GRANT ALL ON DATABASE :"dbname" TO dashboard_user;
GRANT USAGE ON SCHEMA public TO postgres, anon, authenticated, service_role;

CREATE SCHEMA IF NOT EXISTS extensions;
GRANT USAGE ON SCHEMA extensions TO postgres, anon, authenticated, service_role;
GRANT ALL ON SCHEMA extensions TO postgres, dashboard_user;

-- Default privileges (00000000000000-initial-schema): whatever postgres or supabase_admin creates in public gives
-- ALL to postgres, anon, authenticated and service_role. Functions keep PostgreSQL's own EXECUTE for PUBLIC.
ALTER DEFAULT PRIVILEGES FOR ROLE postgres, supabase_admin IN SCHEMA public
  GRANT ALL ON TABLES TO postgres, anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres, supabase_admin IN SCHEMA public
  GRANT ALL ON FUNCTIONS TO postgres, anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres, supabase_admin IN SCHEMA public
  GRANT ALL ON SEQUENCES TO postgres, anon, authenticated, service_role;

-- The auth schema and the helpers supabase/auth installs; they read the claims PostgREST sets per request.
CREATE SCHEMA IF NOT EXISTS auth AUTHORIZATION supabase_admin;
GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;
GRANT ALL ON SCHEMA auth TO supabase_auth_admin, postgres, dashboard_user;

CREATE OR REPLACE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('request.jwt.claim', true), ''),
                  nullif(current_setting('request.jwt.claims', true), ''))::jsonb
$$;
CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                  (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid
$$;
CREATE OR REPLACE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('request.jwt.claim.role', true), ''),
                  (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role'))::text
$$;
ALTER FUNCTION auth.jwt() OWNER TO supabase_auth_admin;
ALTER FUNCTION auth.uid() OWNER TO supabase_auth_admin;
ALTER FUNCTION auth.role() OWNER TO supabase_auth_admin;
GRANT ALL ON ALL ROUTINES IN SCHEMA auth TO postgres, dashboard_user;

-- An application's users table, as a Supabase app owns it: created by postgres in public (so the default
-- privileges give ALL to anon, authenticated and service_role), with RLS enabled and no policy for the API roles,
-- so only service_role (BYPASSRLS) and the owner write it. The scheduler's admin check reads it.
SET ROLE postgres;
CREATE TABLE IF NOT EXISTS public.users (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  clerk_user_id text NOT NULL UNIQUE,
  email         text,
  role          text NOT NULL DEFAULT 'user',
  created_at    timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;
RESET ROLE;
