-- Which existing rows break each of the kit's rules (scheduler_kit/sql/model/*.table.sql CHECKs and the definition
-- rules of check_job_definition.function.sql), with the ids or job names of the rows; the cron rule takes the kit's
-- pattern as the parameter cron_pattern (scheduler_kit/cron.py). Only rules some row breaks are returned.
WITH rules (rule, offender) AS (
  SELECT 'scheduled_jobs_status_check', j.id::text FROM public.scheduled_jobs AS j
   WHERE j.status NOT IN ('running', 'completed', 'failed')
  UNION ALL
  SELECT 'scheduled_jobs_job_name_not_blank', j.id::text FROM public.scheduled_jobs AS j WHERE btrim(j.job_name) = ''
  UNION ALL
  SELECT 'scheduled_jobs_completed_after_started', j.id::text FROM public.scheduled_jobs AS j
   WHERE j.completed_at < j.started_at
  UNION ALL
  SELECT 'scheduled_jobs_finished_has_completed_at', j.id::text FROM public.scheduled_jobs AS j
   WHERE (j.status = 'running') <> (j.completed_at IS NULL)
  UNION ALL
  SELECT 'scheduled_jobs_counts_non_negative', j.id::text FROM public.scheduled_jobs AS j
   WHERE NOT (coalesce(j.duration_ms, 0) >= 0 AND coalesce(j.items_processed, 0) >= 0
              AND coalesce(j.items_succeeded, 0) >= 0 AND coalesce(j.items_failed, 0) >= 0)
  UNION ALL
  SELECT 'scheduled_jobs_metadata_is_object', j.id::text FROM public.scheduled_jobs AS j
   WHERE jsonb_typeof(j.metadata) <> 'object'
  UNION ALL
  SELECT 'job_schedules_counters_non_negative', s.job_name::text FROM public.job_schedules AS s
   WHERE NOT (s.total_runs >= 0 AND s.successful_runs >= 0 AND s.failed_runs >= 0)
  UNION ALL
  SELECT 'job_schedules_counters_add_up', s.job_name::text FROM public.job_schedules AS s
   WHERE s.successful_runs + s.failed_runs <> s.total_runs
  UNION ALL
  SELECT 'job_schedules_last_run_duration_non_negative', s.job_name::text FROM public.job_schedules AS s
   WHERE s.last_run_duration_ms < 0
  UNION ALL
  SELECT 'job_schedules_job_name_format', s.job_name::text FROM public.job_schedules AS s
   WHERE NOT (s.job_name ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(s.job_name) <= 100)
  UNION ALL
  SELECT 'job_schedules_cron_expression_valid', s.job_name::text FROM public.job_schedules AS s
   WHERE s.cron_expression IS NULL
      OR NOT s.cron_expression ~* %(cron_pattern)s
  UNION ALL
  SELECT 'job_schedules_service_not_blank', s.job_name::text FROM public.job_schedules AS s WHERE s.service !~ %(not_blank)s
  UNION ALL
  SELECT 'job_schedules_endpoint_not_blank', s.job_name::text FROM public.job_schedules AS s
   WHERE s.endpoint !~ %(not_blank)s
  UNION ALL
  SELECT 'job_schedules_config_is_object', s.job_name::text FROM public.job_schedules AS s
   WHERE jsonb_typeof(s.config) IS DISTINCT FROM 'object'
)
SELECT rule, count(*) AS rows, array_agg(offender ORDER BY offender) AS offenders
  FROM rules GROUP BY rule ORDER BY rule;
