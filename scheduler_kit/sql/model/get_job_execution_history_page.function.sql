-- A page of one job's executions, newest first, after a cursor: the (started_at, id) of the last row of the previous
-- page (both NULL for the first page). Its cost does not depend on how deep the page is, unlike the seed's
-- (limit, offset) form, which reads and skips every row before the page. SECURITY INVOKER: RLS decides, as for
-- get_job_execution_history.
CREATE OR REPLACE FUNCTION public.get_job_execution_history_page(
  p_job_name text,
  p_limit integer DEFAULT 20,
  p_before_started_at timestamptz DEFAULT NULL,
  p_before_id uuid DEFAULT NULL
)
RETURNS SETOF public.scheduled_jobs
LANGUAGE plpgsql
STABLE
SECURITY INVOKER
SET search_path = ''
-- One generic plan per session (see get_job_execution_history), and no parallel workers for a page read by index.
SET plan_cache_mode = 'force_generic_plan'
SET max_parallel_workers_per_gather = 0
-- The page reads the (job_name, started_at, id) index, in its order, whatever the job. Left to itself the generic
-- plan walked the all-jobs started_at index backwards and filtered on the job: cheap for a job that ran a
-- minute ago, the whole index for one that stopped running (0.1 s on a million rows, growing with history).
-- No sort is ever needed here, so forbidding one leaves only the job's own index range.
SET enable_sort = off
SET enable_incremental_sort = off
-- And no JIT: on a large history the generic plan's estimate (it cannot see the LIMIT) passed jit_above_cost, and
-- every 20-row page paid 1.5-3 ms of compilation for a 0.03 ms read (measured at 10,000,000 rows).
SET jit = off
AS $$
BEGIN
  IF (p_before_started_at IS NULL) <> (p_before_id IS NULL) THEN
    RAISE EXCEPTION 'a history cursor needs both started_at and id of the last row read, or neither for the first page'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_before_started_at IS NULL THEN
    RETURN QUERY
      SELECT j.*
        FROM public.scheduled_jobs AS j
       WHERE j.job_name = p_job_name
       ORDER BY j.started_at DESC, j.id DESC
       LIMIT least(greatest(coalesce(p_limit, 20), 0), 1000);
    RETURN;
  END IF;
  -- The row comparison is an index range on scheduled_jobs_job_name_started_at_idx: the page starts where the cursor
  -- points instead of counting rows from the newest. (Its operands are the parameters themselves: wrapped in
  -- coalesce(), under RLS the planner could no longer use it as an index condition, only as a filter.)
  RETURN QUERY
    SELECT j.*
      FROM public.scheduled_jobs AS j
     WHERE j.job_name = p_job_name
       AND (j.started_at, j.id) < (p_before_started_at, p_before_id)
     ORDER BY j.started_at DESC, j.id DESC
     LIMIT least(greatest(coalesce(p_limit, 20), 0), 1000);
END
$$;
