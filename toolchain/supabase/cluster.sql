-- The cluster-wide part of a Supabase-shaped PostgreSQL 15, written for the kit's `supabase` database profile from
-- the published facts of supabase/postgres (init scripts and migrations) and supabase/auth. Run once, as the
-- bootstrap superuser `supabase_admin`, right after initdb. Passwords arrive as psql variables.
\set ON_ERROR_STOP on
SET client_min_messages = warning;

-- Supabase's own superuser (initdb --username=supabase_admin) keeps every attribute.
ALTER ROLE supabase_admin WITH SUPERUSER CREATEDB CREATEROLE REPLICATION BYPASSRLS;

-- The API roles. Created NOINHERIT, later switched to INHERIT (20230529180330_alter_api_roles_for_inherit).
CREATE ROLE anon NOLOGIN INHERIT;
CREATE ROLE authenticated NOLOGIN INHERIT;
CREATE ROLE service_role NOLOGIN INHERIT BYPASSRLS;
ALTER ROLE anon SET statement_timeout = '3s';
ALTER ROLE authenticated SET statement_timeout = '8s';

-- PostgREST logs in as authenticator and switches per request with SET LOCAL ROLE.
CREATE ROLE authenticator LOGIN NOINHERIT PASSWORD :'authenticator_password';
GRANT anon, authenticated, service_role TO authenticator;
ALTER ROLE authenticator SET statement_timeout = '8s';
ALTER ROLE authenticator SET lock_timeout = '8s';

-- Platform roles that hold privileges in a real project (a hand grant to any of them must be caught too).
CREATE ROLE supabase_auth_admin LOGIN NOINHERIT CREATEROLE NOREPLICATION;
CREATE ROLE supabase_storage_admin LOGIN NOINHERIT CREATEROLE NOREPLICATION;
CREATE ROLE supabase_replication_admin LOGIN REPLICATION;
CREATE ROLE supabase_read_only_user LOGIN BYPASSRLS;
GRANT pg_read_all_data TO supabase_read_only_user;
CREATE ROLE dashboard_user NOSUPERUSER CREATEDB CREATEROLE REPLICATION;
GRANT authenticator TO supabase_storage_admin;
GRANT anon, authenticated, service_role TO supabase_storage_admin;

-- `postgres`: the role users deploy as. Created as a superuser that ran the init scripts, then demoted
-- (10000000000000_demote-postgres), made a member of the API roles (20230201083204) and of predefined roles
-- (20230306081037, 20240606060239). Newer projects no longer give it supabase_auth_admin/supabase_storage_admin.
CREATE ROLE postgres LOGIN PASSWORD :'postgres_password';
ALTER ROLE postgres NOSUPERUSER CREATEDB CREATEROLE LOGIN REPLICATION BYPASSRLS;
GRANT anon, authenticated, service_role TO postgres;
GRANT pg_monitor, pg_read_all_data, pg_signal_backend TO postgres;
ALTER ROLE postgres SET search_path TO "$user", public, extensions;
ALTER ROLE supabase_admin SET search_path TO "$user", public, auth, extensions;
