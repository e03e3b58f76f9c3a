-- A job removed from jobs.yaml: disabled and marked retired; its row, statistics and history all stay.
UPDATE public.job_schedules
   SET enabled = false, retired_at = coalesce(retired_at, now())
 WHERE job_name = %(name)s
