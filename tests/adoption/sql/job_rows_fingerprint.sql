-- A digest of every job row's original columns (the seed's), statistics included, in job_name order: a deploy
-- that was refused must leave them exactly as they were. Normalized as history_fingerprint.sql.
SELECT count(*) AS jobs,
       md5(string_agg(md5(ROW(
         s.id, s.job_name::text, s.display_name, s.description, s.cron_expression, s.enabled, s.service,
         s.endpoint, s.config::jsonb, s.total_runs::bigint, s.successful_runs::bigint, s.failed_runs::bigint,
         extract(epoch FROM s.last_run_at::timestamptz), s.last_run_status, s.last_run_duration_ms::bigint,
         extract(epoch FROM s.created_at::timestamptz), extract(epoch FROM s.updated_at::timestamptz)
       )::text), '' ORDER BY s.job_name)) AS digest
  FROM public.job_schedules AS s;
