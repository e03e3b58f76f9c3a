SELECT display_name, description, cron_expression, enabled, service, endpoint, config, retired_at IS NOT NULL AS retired
FROM public.job_schedules
WHERE job_name = %(name)s
