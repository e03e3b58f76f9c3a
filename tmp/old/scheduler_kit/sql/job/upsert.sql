-- Create or adopt a job's definition row. Statistics columns are never written here. On an existing row only the
-- listed definition columns change, and a retired job comes back (retired_at cleared).
INSERT INTO public.job_schedules AS s
  (job_name, display_name, description, cron_expression, enabled, service, endpoint, config)
VALUES
  (%(name)s, %(display_name)s, %(description)s, %(cron)s, %(enabled)s, %(service)s, %(endpoint)s, %(config)s)
ON CONFLICT (job_name) DO UPDATE
   SET display_name = EXCLUDED.display_name,
       description = EXCLUDED.description,
       service = EXCLUDED.service,
       endpoint = EXCLUDED.endpoint,
       config = EXCLUDED.config,
       enabled = CASE WHEN %(write_enabled)s THEN EXCLUDED.enabled ELSE s.enabled END,
       cron_expression = CASE WHEN %(write_cron)s THEN EXCLUDED.cron_expression ELSE s.cron_expression END,
       retired_at = NULL
RETURNING (xmax = 0) AS inserted
