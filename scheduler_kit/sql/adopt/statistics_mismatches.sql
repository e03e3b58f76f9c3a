-- The job rows whose stored statistics differ from their history (what the take-over will write), by job name.
SELECT s.job_name::text AS job_name,
       jsonb_build_object('total_runs', s.total_runs, 'successful_runs', s.successful_runs, 'failed_runs', s.failed_runs,
                          'last_run_at', s.last_run_at, 'last_run_status', s.last_run_status,
                          'last_run_duration_ms', s.last_run_duration_ms) AS stored,
       jsonb_build_object('total_runs', r.total, 'successful_runs', r.completed, 'failed_runs', r.failed,
                          'last_run_at', r.completed_at, 'last_run_status', r.status,
                          'last_run_duration_ms', r.duration_ms) AS recounted
  FROM ({{recounted}}) AS r JOIN public.job_schedules AS s ON s.id = r.id
 WHERE (s.total_runs, s.successful_runs, s.failed_runs, s.last_run_at, s.last_run_status::text, s.last_run_duration_ms)
       IS DISTINCT FROM (r.total, r.completed, r.failed, r.completed_at, r.status, r.duration_ms)
 ORDER BY 1
