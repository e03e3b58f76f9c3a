-- Each job row's statistics as its history says they are: the finished executions (completed or failed) counted
-- once each, and last_run_* from the latest completion (ties broken by id; a negative duration, which only
-- an adopted history can hold, is no duration). Shared by the take-over of the statistics
-- (trigger_update_job_stats.trigger.sql) and the adoption report (statistics_mismatches.sql).
SELECT s.id, s.job_name, coalesce(c.total, 0) AS total, coalesce(c.completed, 0) AS completed,
       coalesce(c.failed, 0) AS failed, l.completed_at, l.status::text AS status, CASE WHEN l.duration_ms >= 0 THEN l.duration_ms::integer END AS duration_ms
  FROM public.job_schedules AS s
  LEFT JOIN (SELECT j.job_name, count(*) AS total, count(*) FILTER (WHERE j.status = 'completed') AS completed,
                    count(*) FILTER (WHERE j.status = 'failed') AS failed
               FROM public.scheduled_jobs AS j WHERE j.status IN ('completed', 'failed') GROUP BY j.job_name) AS c
    ON c.job_name = s.job_name
  LEFT JOIN (SELECT DISTINCT ON (j.job_name) j.job_name, j.completed_at, j.status, j.duration_ms
               FROM public.scheduled_jobs AS j
              WHERE j.status IN ('completed', 'failed') AND j.completed_at IS NOT NULL
              ORDER BY j.job_name, j.completed_at DESC, j.id DESC) AS l
    ON l.job_name = s.job_name
