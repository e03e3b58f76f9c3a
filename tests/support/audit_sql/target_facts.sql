-- What tells a Supabase project from a plain PostgreSQL the kit gave the Supabase base (target postgres): on
-- Supabase the platform's superuser `supabase_admin` exists and owns the `auth` schema; on target postgres the kit's
-- deploying role created `auth` (and auth.jwt(), public.users) itself, so they share the owner of public.job_schedules.
SELECT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'supabase_admin') AS has_supabase_admin,
       (SELECT pg_catalog.pg_get_userbyid(nspowner) FROM pg_catalog.pg_namespace WHERE nspname = 'auth') AS auth_owner,
       (SELECT pg_catalog.pg_get_userbyid(relowner) FROM pg_catalog.pg_class
         WHERE oid = pg_catalog.to_regclass('public.job_schedules')) AS kit_owner,
       (SELECT pg_catalog.pg_get_userbyid(proowner) FROM pg_catalog.pg_proc
         WHERE oid = pg_catalog.to_regprocedure('auth.jwt()')) AS jwt_owner,
       (SELECT pg_catalog.pg_get_userbyid(relowner) FROM pg_catalog.pg_class
         WHERE oid = pg_catalog.to_regclass('public.users')) AS users_owner
