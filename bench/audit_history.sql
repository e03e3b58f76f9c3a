-- A database with real history for timing the audit (docs/auditing.md): :rows executions over the jobs of the
-- database's job_schedules and two jobs without a schedule row, over the last 200 days, written as the service
-- (through the statistics triggers). Mostly completed, some failed, a few still running. Run with
--   psql "$DSN" -v rows=50000 -f bench/audit_history.sql
-- and, for a database whose rollups are empty while history exists (as an adopted one may be), add -v empty_rollups=1.
\set ON_ERROR_STOP on
SET ROLE service_role;
WITH jobs AS (
  SELECT array_agg(job_name ORDER BY job_name) || ARRAY['legacy-export', 'legacy-import'] AS names
    FROM public.job_schedules
), runs AS (
  SELECT n, now() - (n::double precision / :rows) * interval '200 days' - interval '1 hour' AS started,
         CASE WHEN n % 97 = 0 THEN 'failed' WHEN n % 1001 = 0 THEN 'running' ELSE 'completed' END AS status,
         (abs(hashint4(n)) % 600000) AS duration_ms
    FROM generate_series(1, :rows) AS n
)
INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at, duration_ms, items_processed, metadata)
SELECT jobs.names[1 + n % array_length(jobs.names, 1)], status, started,
       CASE WHEN status <> 'running' THEN started + duration_ms * interval '1 millisecond' END,
       CASE WHEN status <> 'running' THEN duration_ms END, n % 500, jsonb_build_object('batch', n % 7)
  FROM runs, jobs;
RESET ROLE;
\if :{?empty_rollups}
DELETE FROM public.job_execution_rollups;
\endif
ANALYZE public.scheduled_jobs;
SELECT count(*) AS executions, count(DISTINCT job_name) AS jobs FROM public.scheduled_jobs;
