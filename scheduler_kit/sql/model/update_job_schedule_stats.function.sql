-- Keeps job_schedules' statistics and the per-day rollups (job_execution_rollups) in step with scheduled_jobs.
-- Statement-level, with transition tables (triggers trigger_update_job_stats*): a statement that writes N executions
-- applies one aggregated change per job and per day, so its cost grows with N, not with N squared (a row-level
-- trigger updated the same job row once per execution, and those row versions piled up inside the statement).
--
-- Where the seed's version double-counts, this one:
--   * counts an execution once, when it first reaches completed or failed;
--   * ignores later writes to a finished execution (metadata, error text, the same status again);
--   * treats completed <-> failed on a finished execution as a correction: the run moves between the two
--     counters, total_runs stays;
--   * sets last_run_* only from an execution at least as recent (by completed_at) as the one they describe, so an
--     older execution finishing late never moves last_run_at backwards; a correction to the latest execution
--     recomputes them from history;
-- (Taking a finished execution back to running, to another job or to another id is refused before this runs: see
-- trigger_scheduled_jobs_finished_is_final.)
-- Deleting history (retention clean-up) leaves the lifetime counters alone and takes the deleted executions out of
-- the rollups, which describe the history as it is.
-- SECURITY DEFINER: the statistics are written whatever the writer's privileges; names are qualified and
-- search_path is empty. Its updates touch no indexed column, so they are HOT updates.
CREATE OR REPLACE FUNCTION public.update_job_schedule_stats()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
  corrections bigint;
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF NOT EXISTS (SELECT FROM old_rows AS o WHERE o.status <> 'running') THEN
      RETURN NULL;  -- running executions are in no rollup
    END IF;
    UPDATE public.job_execution_rollups AS r
       SET completed          = r.completed - x.completed,
           failed             = r.failed - x.failed,
           duration_count     = r.duration_count - x.duration_count,
           duration_sum       = r.duration_sum - x.duration_sum,
           duration_histogram = scheduler_private.histogram_add(r.duration_histogram, x.histogram),
           -- The largest duration left: from the history of that day when the deleted ones reached it.
           duration_max       = CASE WHEN x.duration_max >= r.duration_max THEN (
                                  SELECT max(j.duration_ms) FROM public.scheduled_jobs AS j
                                   WHERE j.job_name = r.job_name AND j.status <> 'running'
                                     AND j.started_at >= (r.day::timestamp AT TIME ZONE 'UTC')
                                     AND j.started_at < ((r.day + 1)::timestamp AT TIME ZONE 'UTC'))
                                ELSE r.duration_max END
      FROM (SELECT o.job_name, (o.started_at AT TIME ZONE 'UTC')::date AS day,
                   count(*) FILTER (WHERE o.status = 'completed') AS completed,
                   count(*) FILTER (WHERE o.status = 'failed') AS failed,
                   count(o.duration_ms) AS duration_count,
                   coalesce(sum(o.duration_ms), 0) AS duration_sum,
                   max(o.duration_ms) AS duration_max,
                   scheduler_private.histogram_of(
                     array_agg(scheduler_private.duration_bucket(o.duration_ms)) FILTER (WHERE o.duration_ms IS NOT NULL),
                     array_agg(-1) FILTER (WHERE o.duration_ms IS NOT NULL)) AS histogram
              FROM old_rows AS o
             WHERE o.status <> 'running'
             GROUP BY 1, 2) AS x
     WHERE r.job_name = x.job_name AND r.day = x.day;
    DELETE FROM public.job_execution_rollups AS r
     WHERE r.completed = 0 AND r.failed = 0
       AND (r.job_name, r.day) IN (SELECT o.job_name, (o.started_at AT TIME ZONE 'UTC')::date
                                     FROM old_rows AS o WHERE o.status <> 'running');
    RETURN NULL;
  END IF;

  IF NOT EXISTS (SELECT FROM new_rows AS n WHERE n.status <> 'running') THEN
    RETURN NULL;  -- only running executions written: nothing is counted before it finishes
  END IF;

  IF TG_OP = 'INSERT' THEN
    -- Executions inserted already finished: each reaches a final status for the first time.
    WITH firsts AS (
      SELECT n.id, n.job_name, n.status, n.started_at, n.completed_at, n.duration_ms
        FROM new_rows AS n
       WHERE n.status IN ('completed', 'failed')
    ), counted AS (
      UPDATE public.job_schedules AS s
         SET total_runs      = s.total_runs + f.runs,
             successful_runs = s.successful_runs + f.completed,
             failed_runs     = s.failed_runs + f.failed,
             last_run_at          = CASE WHEN f.last_completed_at IS NOT NULL AND (s.last_run_at IS NULL OR f.last_completed_at >= s.last_run_at)
                                         THEN f.last_completed_at ELSE s.last_run_at END,
             last_run_status      = CASE WHEN f.last_completed_at IS NOT NULL AND (s.last_run_at IS NULL OR f.last_completed_at >= s.last_run_at)
                                         THEN f.last_status ELSE s.last_run_status END,
             last_run_duration_ms = CASE WHEN f.last_completed_at IS NOT NULL AND (s.last_run_at IS NULL OR f.last_completed_at >= s.last_run_at)
                                         THEN f.last_duration_ms ELSE s.last_run_duration_ms END
        FROM (SELECT x.job_name, count(*) AS runs,
                     count(*) FILTER (WHERE x.status = 'completed') AS completed,
                     count(*) FILTER (WHERE x.status = 'failed') AS failed,
                     max(x.completed_at) AS last_completed_at,
                     (array_agg(x.status ORDER BY x.completed_at DESC, x.id DESC))[1] AS last_status,
                     (array_agg(x.duration_ms ORDER BY x.completed_at DESC, x.id DESC))[1] AS last_duration_ms
                FROM firsts AS x
               GROUP BY x.job_name) AS f
       WHERE s.job_name = f.job_name
    )
    INSERT INTO public.job_execution_rollups AS r
           (job_name, day, completed, failed, duration_count, duration_sum, duration_max, duration_histogram)
    SELECT x.job_name, (x.started_at AT TIME ZONE 'UTC')::date,
           count(*) FILTER (WHERE x.status = 'completed'), count(*) FILTER (WHERE x.status = 'failed'),
           count(x.duration_ms), coalesce(sum(x.duration_ms), 0), max(x.duration_ms),
           scheduler_private.histogram_of(
             array_agg(scheduler_private.duration_bucket(x.duration_ms)) FILTER (WHERE x.duration_ms IS NOT NULL),
             array_agg(1) FILTER (WHERE x.duration_ms IS NOT NULL))
      FROM firsts AS x
     GROUP BY 1, 2
        ON CONFLICT (job_name, day) DO UPDATE
       SET completed          = r.completed + excluded.completed,
           failed             = r.failed + excluded.failed,
           duration_count     = r.duration_count + excluded.duration_count,
           duration_sum       = r.duration_sum + excluded.duration_sum,
           duration_max       = greatest(r.duration_max, excluded.duration_max),
           duration_histogram = scheduler_private.histogram_add(r.duration_histogram, excluded.duration_histogram);
    RETURN NULL;
  END IF;

  -- UPDATE. `changes`: the executions finished after the statement whose state the statistics see has changed.
  -- A first finish (it was running) counts as a run; otherwise the change is a correction, which moves the run
  -- between the counters, takes the old state out of the rollups and puts the new one in.
  WITH changes AS (
    SELECT n.id, n.job_name, n.status, n.started_at, n.completed_at, n.duration_ms,
           o.status AS old_status, o.completed_at AS old_completed_at,
           o.status = 'running' AS first_finish
      FROM new_rows AS n
      JOIN old_rows AS o ON o.id = n.id
     WHERE n.status IN ('completed', 'failed')
       AND (o.status, o.completed_at, o.duration_ms, o.started_at)
           IS DISTINCT FROM (n.status, n.completed_at, n.duration_ms, n.started_at)
  ), counted AS (
    UPDATE public.job_schedules AS s
       SET total_runs      = s.total_runs + f.runs,
           successful_runs = s.successful_runs + f.completed,
           failed_runs     = s.failed_runs + f.failed,
           last_run_at          = CASE WHEN f.last_completed_at IS NOT NULL AND (s.last_run_at IS NULL OR f.last_completed_at >= s.last_run_at)
                                       THEN f.last_completed_at ELSE s.last_run_at END,
           last_run_status      = CASE WHEN f.last_completed_at IS NOT NULL AND (s.last_run_at IS NULL OR f.last_completed_at >= s.last_run_at)
                                       THEN f.last_status ELSE s.last_run_status END,
           last_run_duration_ms = CASE WHEN f.last_completed_at IS NOT NULL AND (s.last_run_at IS NULL OR f.last_completed_at >= s.last_run_at)
                                       THEN f.last_duration_ms ELSE s.last_run_duration_ms END
      FROM (SELECT x.job_name,
                   count(*) FILTER (WHERE x.first_finish) AS runs,
                   sum((x.status = 'completed')::int - (NOT x.first_finish AND x.old_status = 'completed')::int) AS completed,
                   sum((x.status = 'failed')::int - (NOT x.first_finish AND x.old_status = 'failed')::int) AS failed,
                   max(x.completed_at) FILTER (WHERE x.first_finish) AS last_completed_at,
                   (array_agg(x.status ORDER BY x.completed_at DESC, x.id DESC) FILTER (WHERE x.first_finish))[1] AS last_status,
                   (array_agg(x.duration_ms ORDER BY x.completed_at DESC, x.id DESC) FILTER (WHERE x.first_finish))[1]
                     AS last_duration_ms
              FROM changes AS x
             GROUP BY x.job_name) AS f
     WHERE s.job_name = f.job_name
  ), rolled_up AS (
    INSERT INTO public.job_execution_rollups AS r
           (job_name, day, completed, failed, duration_count, duration_sum, duration_max, duration_histogram)
    SELECT x.job_name, (x.started_at AT TIME ZONE 'UTC')::date,
           count(*) FILTER (WHERE x.status = 'completed'), count(*) FILTER (WHERE x.status = 'failed'),
           count(x.duration_ms), coalesce(sum(x.duration_ms), 0), max(x.duration_ms),
           scheduler_private.histogram_of(
             array_agg(scheduler_private.duration_bucket(x.duration_ms)) FILTER (WHERE x.duration_ms IS NOT NULL),
             array_agg(1) FILTER (WHERE x.duration_ms IS NOT NULL))
      FROM changes AS x
     GROUP BY 1, 2
        ON CONFLICT (job_name, day) DO UPDATE
       SET completed          = r.completed + excluded.completed,
           failed             = r.failed + excluded.failed,
           duration_count     = r.duration_count + excluded.duration_count,
           duration_sum       = r.duration_sum + excluded.duration_sum,
           duration_max       = greatest(r.duration_max, excluded.duration_max),
           duration_histogram = scheduler_private.histogram_add(r.duration_histogram, excluded.duration_histogram)
  )
  SELECT count(*) FILTER (WHERE NOT x.first_finish) INTO corrections FROM changes AS x;

  IF corrections = 0 THEN
    RETURN NULL;
  END IF;

  -- A correction that reaches the latest completion: last_run_* from the history again.
  UPDATE public.job_schedules AS s
     SET (last_run_at, last_run_status, last_run_duration_ms) = (
           SELECT j.completed_at, j.status, j.duration_ms
             FROM public.scheduled_jobs AS j
            WHERE j.job_name = s.job_name AND j.status IN ('completed', 'failed')
            ORDER BY j.completed_at DESC
            LIMIT 1)
    FROM (SELECT n.job_name, max(greatest(o.completed_at, n.completed_at)) AS reaches
            FROM new_rows AS n
            JOIN old_rows AS o ON o.id = n.id
           WHERE o.status IN ('completed', 'failed')
             AND (o.status, o.completed_at, o.duration_ms) IS DISTINCT FROM (n.status, n.completed_at, n.duration_ms)
           GROUP BY n.job_name) AS c
   WHERE s.job_name = c.job_name
     AND s.last_run_at <= c.reaches;

  -- The corrected executions' old state leaves the rollups (the new one went in above).
  UPDATE public.job_execution_rollups AS r
     SET completed          = r.completed - x.completed,
         failed             = r.failed - x.failed,
         duration_count     = r.duration_count - x.duration_count,
         duration_sum       = r.duration_sum - x.duration_sum,
         duration_histogram = scheduler_private.histogram_add(r.duration_histogram, x.histogram),
         duration_max       = CASE WHEN x.duration_max >= r.duration_max THEN (
                                SELECT max(j.duration_ms) FROM public.scheduled_jobs AS j
                                 WHERE j.job_name = r.job_name AND j.status <> 'running'
                                   AND j.started_at >= (r.day::timestamp AT TIME ZONE 'UTC')
                                   AND j.started_at < ((r.day + 1)::timestamp AT TIME ZONE 'UTC'))
                              ELSE r.duration_max END
    FROM (SELECT o.job_name, (o.started_at AT TIME ZONE 'UTC')::date AS day,
                 count(*) FILTER (WHERE o.status = 'completed') AS completed,
                 count(*) FILTER (WHERE o.status = 'failed') AS failed,
                 count(o.duration_ms) AS duration_count,
                 coalesce(sum(o.duration_ms), 0) AS duration_sum,
                 max(o.duration_ms) AS duration_max,
                 scheduler_private.histogram_of(
                   array_agg(scheduler_private.duration_bucket(o.duration_ms)) FILTER (WHERE o.duration_ms IS NOT NULL),
                   array_agg(-1) FILTER (WHERE o.duration_ms IS NOT NULL)) AS histogram
            FROM new_rows AS n
            JOIN old_rows AS o ON o.id = n.id
           WHERE o.status IN ('completed', 'failed')
             AND (o.status, o.completed_at, o.duration_ms, o.started_at)
                 IS DISTINCT FROM (n.status, n.completed_at, n.duration_ms, n.started_at)
           GROUP BY 1, 2) AS x
   WHERE r.job_name = x.job_name AND r.day = x.day;
  DELETE FROM public.job_execution_rollups AS r
   WHERE r.completed = 0 AND r.failed = 0
     AND (r.job_name, r.day) IN (SELECT o.job_name, (o.started_at AT TIME ZONE 'UTC')::date
                                   FROM old_rows AS o WHERE o.status IN ('completed', 'failed'));
  RETURN NULL;
END
$$;
