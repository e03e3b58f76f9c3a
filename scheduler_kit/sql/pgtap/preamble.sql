BEGIN;
SET LOCAL client_min_messages = warning;
-- pgTAP: a Supabase project has it in `extensions` once enabled; anywhere else it is created here, and rolled back.
CREATE EXTENSION IF NOT EXISTS pgtap;

-- The target: the psql variable kit_target (pg_prove --set kit_target=postgres|supabase) or, without it, the
-- database's own answer: a Supabase project has the platform's bootstrap role supabase_admin.
\if :{?kit_target}
\else
\set kit_target ''
\endif
SELECT pg_catalog.set_config('scheduler_kit.target', CASE WHEN :'kit_target' <> '' THEN :'kit_target'
  WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'supabase_admin') THEN 'supabase'
  ELSE 'postgres' END, true) AS kit_target \gset
DO $$
BEGIN
  IF current_setting('scheduler_kit.target') NOT IN ('postgres', 'supabase') THEN
    RAISE EXCEPTION 'kit_target is %, not postgres or supabase', current_setting('scheduler_kit.target')
      USING HINT = 'pg_prove --set kit_target=supabase ... (or leave it out: the database says which)';
  END IF;
END $$;

-- One actor statement the way PostgREST runs a request: SET LOCAL ROLE to the token's role and its claims in
-- request.jwt.claims, then the statement. It runs in a subtransaction that is always rolled back (the RAISE at the
-- end), so no cell sees another's writes, and it answers with the matrix's outcome:
--   rows    allowed and every row there is (`total_of`: the table whose row count, as the service sees it, that is)
--   some    allowed, part of the rows      zero    allowed, no row (row level security hides them)
--   denied  permission denied              policy  row level security refused the new row
-- measure: row_count (rows the statement returned or changed), value (the number it returned), success.
CREATE FUNCTION pg_temp.kit_outcome(actor_role text, claims text, statement text, measure text, total_of text)
RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
  n bigint;
  total bigint;
  switched boolean := false;  -- plain variables survive the rollback: was the role taken before the error?
BEGIN
  SELECT t.n INTO total FROM pg_temp.kit_totals t WHERE t.object = total_of;
  BEGIN
    EXECUTE format('SET LOCAL ROLE %I', actor_role);
    PERFORM set_config('request.jwt.claims', claims, true);
    switched := true;
    IF measure = 'value' THEN
      EXECUTE statement INTO n;
    ELSE
      EXECUTE statement;
      GET DIAGNOSTICS n = ROW_COUNT;
    END IF;
    RAISE SQLSTATE 'SKRB0' USING MESSAGE = CASE
      WHEN measure = 'success' THEN 'rows'
      WHEN coalesce(n, 0) = 0 THEN 'zero'
      WHEN total IS NULL OR n = total THEN 'rows'
      ELSE 'some' END;
  EXCEPTION
    WHEN SQLSTATE 'SKRB0' THEN
      RETURN SQLERRM;
    WHEN insufficient_privilege THEN
      IF NOT switched THEN
        RETURN 'the session user may not SET ROLE ' || actor_role || ': ' || SQLERRM;
      END IF;
      RETURN CASE WHEN SQLERRM LIKE '%row-level security%' THEN 'policy' ELSE 'denied' END;
    WHEN OTHERS THEN
      RETURN 'error ' || SQLSTATE || ': ' || SQLERRM;
  END;
END $$;

-- The rows the cells run over, written through the service role like any service write (statistics trigger
-- included): enabled, disabled and retired jobs; running, completed and failed executions of a live job, a retired
-- one and one with no schedule row; users rows a lax admin check would match (an empty id, the id of a numeric sub).
SET LOCAL ROLE service_role;
INSERT INTO public.users (clerk_user_id, role) VALUES ({{admin_sub}}, 'admin'), ({{regular_sub}}, 'user'),
  ('', 'admin'), ({{numeric_admin_id}}, 'admin') ON CONFLICT DO NOTHING;
INSERT INTO public.job_schedules (job_name, cron_expression, service, endpoint, enabled, retired_at, config) VALUES
  ('kit-pgtap-job', '0 9 * * 1', 'kit-pgtap-service', '/api/jobs/pgtap', true, NULL, '{"batchSize": 100}'),
  ('kit-pgtap-disabled', '*/5 * * * *', 'kit-pgtap-service', '/api/jobs/disabled', false, NULL, '{}'),
  ('kit-pgtap-retired', '0 0 1 * *', 'kit-pgtap-service', '/api/jobs/retired', false, now() - interval '3 days', '{}');
INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at, duration_ms, error_message, metadata) VALUES
  ('kit-pgtap-job', 'running', now() - interval '2 minutes', NULL, NULL, NULL, '{}'),
  ('kit-pgtap-job', 'completed', now() - interval '10 minutes', now() - interval '9 minutes', 60000, NULL, '{"emails": 3}'),
  ('kit-pgtap-job', 'failed', now() - interval '20 minutes', now() - interval '19 minutes', 1000, 'timeout', '{}'),
  ('kit-pgtap-disabled', 'completed', now() - interval '2 days', now() - interval '2 days', 5, NULL, '{}'),
  ('kit-pgtap-retired', 'failed', now() - interval '5 days', now() - interval '5 days', 7, 'gone', '{}'),
  ('kit-pgtap-retired', 'completed', now() - interval '6 days', now() - interval '6 days', 9, NULL, '{}'),
  ('kit-pgtap-unscheduled', 'completed', now() - interval '1 day', now() - interval '1 day', 11, NULL, '{}');
-- What exists, as the service sees it: the yardstick for `rows` against `some`.
CREATE TEMP TABLE kit_totals ON COMMIT DROP AS
  SELECT 'job_schedules'::text AS object, count(*) AS n FROM public.job_schedules
  UNION ALL SELECT 'scheduled_jobs', count(*) FROM public.scheduled_jobs
  UNION ALL SELECT 'job_execution_rollups', count(*) FROM public.job_execution_rollups
  UNION ALL SELECT 'users', count(*) FROM public.users
  UNION ALL SELECT 'seeded_history', count(*) FROM public.scheduled_jobs WHERE job_name LIKE 'kit-pgtap-%';
-- The history pages are read for this file's own jobs: a page holds at most 1,000 executions, and a database in use
-- has jobs with more.
CREATE TEMP TABLE kit_history_jobs ON COMMIT DROP AS
  SELECT DISTINCT job_name FROM public.scheduled_jobs WHERE job_name LIKE 'kit-pgtap-%';
GRANT SELECT ON pg_temp.kit_totals, pg_temp.kit_history_jobs TO PUBLIC;
RESET ROLE;
