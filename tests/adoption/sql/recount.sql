-- Each job row's statistics as stored, beside what its history says they are (the kit's meaning: every finished
-- execution once; last_run_* of the one that completed last, ties to the greater id; an execution kept NOT VALID
-- without completed_at never completed, and a negative duration is no duration). Ordered by job name.
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
  LEFT JOIN LATERAL (SELECT j.completed_at, j.status, CASE WHEN j.duration_ms >= 0 THEN j.duration_ms END AS duration_ms
                       FROM public.scheduled_jobs AS j
                      WHERE j.job_name = s.job_name AND j.status IN ('completed', 'failed') AND j.completed_at IS NOT NULL
                      ORDER BY j.completed_at DESC, j.id DESC
                      LIMIT 1) AS l ON true
 ORDER BY s.job_name;
