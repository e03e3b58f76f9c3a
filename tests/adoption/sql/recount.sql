-- Each job row's statistics as stored, beside what its history says they are (the kit's meaning: every finished
-- execution once; last_run_* of the one that completed last). Ordered by job name.
SELECT s.job_name::text,
       s.total_runs::bigint, s.successful_runs::bigint, s.failed_runs::bigint,
       s.last_run_at::timestamptz, s.last_run_status, s.last_run_duration_ms::bigint,
       coalesce(h.total, 0), coalesce(h.successful, 0), coalesce(h.failed, 0),
       l.completed_at::timestamptz, l.status, l.duration_ms::bigint
  FROM public.job_schedules AS s
  LEFT JOIN (SELECT j.job_name, count(*) AS total, count(*) FILTER (WHERE j.status = 'completed') AS successful,
                    count(*) FILTER (WHERE j.status = 'failed') AS failed
               FROM public.scheduled_jobs AS j
              WHERE j.status IN ('completed', 'failed')
              GROUP BY j.job_name) AS h ON h.job_name = s.job_name
  LEFT JOIN LATERAL (SELECT j.completed_at, j.status, j.duration_ms
                       FROM public.scheduled_jobs AS j
                      WHERE j.job_name = s.job_name AND j.status IN ('completed', 'failed')
                      ORDER BY j.completed_at DESC NULLS LAST, j.id
                      LIMIT 1) AS l ON true
 ORDER BY s.job_name;
