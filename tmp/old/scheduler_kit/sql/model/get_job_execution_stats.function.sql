-- Execution statistics per job from the history itself (optionally one job, optionally since a time).
-- SECURITY INVOKER, so RLS applies: callers who may not read history get no rows. PL/pgSQL, for a cached plan.
CREATE OR REPLACE FUNCTION public.get_job_execution_stats(
  p_job_name text DEFAULT NULL,
  p_since timestamptz DEFAULT NULL
)
RETURNS TABLE (
  job_name text,
  total_executions bigint,
  completed bigint,
  failed bigint,
  running bigint,
  success_rate numeric,
  avg_duration_ms numeric,
  p95_duration_ms double precision,
  max_duration_ms integer,
  last_started_at timestamptz
)
LANGUAGE plpgsql
STABLE
SECURITY INVOKER
SET search_path = ''
-- One generic plan per session: a custom plan per call would re-plan the RLS-expanded query every time.
SET plan_cache_mode = 'force_generic_plan'
AS $$
BEGIN
  RETURN QUERY
  SELECT j.job_name,
         count(*),
         count(*) FILTER (WHERE j.status = 'completed'),
         count(*) FILTER (WHERE j.status = 'failed'),
         count(*) FILTER (WHERE j.status = 'running'),
         round(count(*) FILTER (WHERE j.status = 'completed')::numeric
               / nullif(count(*) FILTER (WHERE j.status IN ('completed', 'failed')), 0), 4),
         round(avg(j.duration_ms), 1),
         percentile_cont(0.95) WITHIN GROUP (ORDER BY j.duration_ms),
         max(j.duration_ms),
         max(j.started_at)
    FROM public.scheduled_jobs AS j
   WHERE (p_job_name IS NULL OR j.job_name = p_job_name)
     AND (p_since IS NULL OR j.started_at >= p_since)
   GROUP BY j.job_name
   ORDER BY j.job_name;
END
$$;
