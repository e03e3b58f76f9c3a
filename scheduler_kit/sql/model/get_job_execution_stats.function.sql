-- Execution statistics per job (optionally one job, optionally of the executions started since a time), with a cost
-- that does not grow with the history: whole UTC days come from job_execution_rollups (one row per job and day, kept
-- by the statistics trigger), and only the window's partial first day and the running executions from the history.
-- Counts, success rate, average and maximum are exact. p95_duration_ms comes from the rollups' log-scale histogram:
-- within 4.33% of percentile_cont(0.95) over the same executions (scheduler_kit/duration_histogram.py).
-- SECURITY INVOKER, so RLS applies to both tables: callers who may not read history get no rows.
-- PL/pgSQL, for a cached plan.
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
-- The generic plan cannot know how many jobs it reads: left to itself it chose hash and merge joins over every
-- rollup row (and JIT-compiled them, 0.65 s a call), where per-job index ranges read only the window's rows.
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $$
DECLARE
  window_start timestamptz := coalesce(p_since, '-infinity'::timestamptz);
  -- The first whole UTC day of the window, and where it starts: finished executions before it come from history.
  first_day date := CASE
    WHEN p_since IS NULL THEN '-infinity'::date
    WHEN p_since = ((p_since AT TIME ZONE 'UTC')::date::timestamp AT TIME ZONE 'UTC') THEN (p_since AT TIME ZONE 'UTC')::date
    ELSE (p_since AT TIME ZONE 'UTC')::date + 1 END;
  first_day_start timestamptz := CASE WHEN p_since IS NULL THEN '-infinity'::timestamptz
                                      ELSE first_day::timestamp AT TIME ZONE 'UTC' END;
BEGIN
  RETURN QUERY
  WITH jobs AS (
    SELECT p_job_name AS job_name WHERE p_job_name IS NOT NULL
    UNION
    SELECT r.job_name FROM public.job_execution_rollups AS r WHERE p_job_name IS NULL AND r.day >= first_day
    UNION
    SELECT j.job_name FROM public.scheduled_jobs AS j
     WHERE p_job_name IS NULL AND j.status = 'running' AND j.started_at >= window_start
    UNION
    SELECT j.job_name FROM public.scheduled_jobs AS j
     WHERE p_job_name IS NULL AND j.started_at >= window_start AND j.started_at < first_day_start
  ), days AS (
    SELECT r.job_name, r.completed, r.failed, r.duration_count, r.duration_sum, r.duration_max, r.duration_histogram
      FROM jobs
      JOIN public.job_execution_rollups AS r ON r.job_name = jobs.job_name AND r.day >= first_day
  ), singles AS (
    -- Running executions (in no rollup), and finished ones of the partial first day. A negative duration (only old
    -- rows kept NOT VALID hold one) is no duration, as in the rollups.
    SELECT j.job_name, j.status, CASE WHEN j.duration_ms >= 0 THEN j.duration_ms END AS duration_ms
      FROM jobs
      JOIN public.scheduled_jobs AS j ON j.job_name = jobs.job_name
     WHERE j.status = 'running' AND j.started_at >= window_start
    UNION ALL
    SELECT j.job_name, j.status, CASE WHEN j.duration_ms >= 0 THEN j.duration_ms END
      FROM jobs
      JOIN public.scheduled_jobs AS j ON j.job_name = jobs.job_name
     WHERE j.status IN ('completed', 'failed') AND j.started_at >= window_start AND j.started_at < first_day_start
  ), totals AS (
    SELECT u.job_name,
           sum(u.completed)::bigint AS completed, sum(u.failed)::bigint AS failed, sum(u.running)::bigint AS running,
           sum(u.duration_count)::bigint AS duration_count, sum(u.duration_sum) AS duration_sum,
           max(u.duration_max) AS duration_max
      FROM (SELECT d.job_name, d.completed, d.failed, 0::bigint AS running, d.duration_count, d.duration_sum,
                   d.duration_max
              FROM days AS d
            UNION ALL
            SELECT s.job_name, (s.status = 'completed')::int, (s.status = 'failed')::int, (s.status = 'running')::int,
                   (s.duration_ms IS NOT NULL)::int, s.duration_ms, s.duration_ms
              FROM singles AS s) AS u
     GROUP BY u.job_name
  ), buckets AS (
    SELECT h.job_name, h.bucket,
           sum(sum(h.n)) OVER (PARTITION BY h.job_name ORDER BY h.bucket) AS through
      -- Each day's histogram cells: set-returning functions in the select list step through the array together
      -- (one ProjectSet); `unnest(...) WITH ORDINALITY` in FROM materialized each day's cells first, 28% slower.
      -- generate_subscripts gives the cells' own subscripts, which are the buckets (the arrays are sparse).
      FROM (SELECT d.job_name, pg_catalog.generate_subscripts(d.duration_histogram, 1) AS bucket,
                   pg_catalog.unnest(d.duration_histogram) AS n
              FROM days AS d
            UNION ALL
            SELECT s.job_name, scheduler_private.duration_bucket(s.duration_ms), 1
              FROM singles AS s WHERE s.duration_ms IS NOT NULL) AS h
     GROUP BY h.job_name, h.bucket
    HAVING sum(h.n) > 0
  ), p95 AS (
    -- percentile_cont(0.95) interpolates between the values at two ranks; each is replaced by its bucket's value.
    SELECT t.job_name, t.position - floor(t.position) AS fraction,
           scheduler_private.duration_bucket_value(
             min(b.bucket) FILTER (WHERE b.through > floor(t.position))) AS low,
           scheduler_private.duration_bucket_value(
             min(b.bucket) FILTER (WHERE b.through > ceil(t.position))) AS high
      FROM (SELECT x.job_name, 0.95::double precision * (x.duration_count - 1) AS position
              FROM totals AS x WHERE x.duration_count > 0) AS t
      JOIN buckets AS b ON b.job_name = t.job_name
     GROUP BY t.job_name, t.position
  )
  SELECT t.job_name,
         t.completed + t.failed + t.running,
         t.completed,
         t.failed,
         t.running,
         round(t.completed::numeric / nullif(t.completed + t.failed, 0), 4),
         round(t.duration_sum::numeric / nullif(t.duration_count, 0), 1),
         p.low + p.fraction * (p.high - p.low),
         t.duration_max,
         -- The job's latest start, from its own range of the (job_name, started_at) index. Written as a range on
         -- job_name ordered by (job_name, started_at) on purpose: with `job_name = ...` the generic plan walked the
         -- all-jobs started_at index backwards and filtered on the job, which reads every execution after the job's
         -- last one (all of the history for a job that stopped running); only this index gives that order.
         (SELECT j.started_at FROM public.scheduled_jobs AS j
           WHERE j.job_name >= t.job_name AND j.job_name <= t.job_name AND j.started_at >= window_start
           ORDER BY j.job_name, j.started_at DESC LIMIT 1)
    FROM totals AS t
    LEFT JOIN p95 AS p ON p.job_name = t.job_name
   WHERE t.completed + t.failed + t.running > 0
   ORDER BY t.job_name;
END
$$;
