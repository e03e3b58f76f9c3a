-- Keeps job_schedules' statistics and the per-day rollups (job_execution_rollups) in step with scheduled_jobs.
-- Row-level triggers that see the statement's transition tables (trigger_update_job_stats*). A statement that
-- writes one execution (the service's usual write) is handled from NEW and OLD, as the seed's trigger did. A statement
-- that writes many is handled once, by the firing for its first finished execution, from the transition tables: one
-- aggregated change per job and per day, so its cost grows with the number of executions, not with its square (one
-- update of the job row per execution made those row versions pile up inside the statement). The other firings
-- return at once.
--
-- Where the seed's version double-counts, this one:
--   * counts an execution once, when it first reaches completed or failed;
--   * ignores later writes to a finished execution (metadata, error text, the same status again);
--   * treats completed <-> failed on a finished execution as a correction: the run moves between the two
--     counters, total_runs stays;
--   * sets last_run_* only from an execution at least as recent (by completed_at) as the one they describe, so an
--     older execution finishing late never moves last_run_at backwards; a correction to the latest execution
--     recomputes them from history;
--   * reads the old rows kept NOT VALID (keepInvalidRows) as the take-over counted them (trigger_update_job_stats):
--     a negative duration is no duration, a start that is NULL is on the day '-infinity', and last_run_* follow the
--     recount (adopt/recounted.sql); new rows cannot hold either (the constraints check every new row version);
-- (Taking a finished execution back to running, to another job or to another id is refused before this runs: see
-- trigger_scheduled_jobs_finished_is_final.)
-- Deleting history (retention clean-up) leaves the lifetime counters alone and takes the deleted executions out of
-- the rollups, which describe the history as it is.
-- SECURITY DEFINER: the statistics are written whatever the writer's privileges; names are qualified and
-- search_path lists pg_temp last (so a caller's temporary types and tables are never searched first). Its updates touch no indexed column, so they are HOT updates.
CREATE OR REPLACE FUNCTION public.update_job_schedule_stats()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  written integer;  -- rows the statement wrote, counted up to 2
  corrections bigint;
  bucket integer;  -- of NEW.duration_ms in the rollups' histogram (as scheduler_private.duration_bucket)
BEGIN
  IF TG_OP = 'DELETE' THEN
    SELECT count(*) INTO written FROM (SELECT FROM old_rows LIMIT 2) AS x;
    IF written > 1 AND OLD.id IS DISTINCT FROM (SELECT o.id FROM old_rows AS o WHERE o.status IN ('completed', 'failed') LIMIT 1) THEN
      RETURN NULL;  -- the statement's first finished execution did the work for all of them
    END IF;
    UPDATE public.job_execution_rollups AS r
       SET completed          = r.completed - x.completed,
           failed             = r.failed - x.failed,
           duration_count     = r.duration_count - x.duration_count,
           duration_sum       = r.duration_sum - x.duration_sum,
           duration_histogram = scheduler_private.histogram_add(r.duration_histogram, x.histogram),
           -- The largest duration left: from the history of that day when the deleted ones reached it.
           duration_max       = CASE WHEN (x.duration_max >= r.duration_max) IS NOT TRUE THEN r.duration_max
                                     WHEN pg_catalog.isfinite(r.day) THEN (
                                       SELECT max(j.duration_ms) FROM public.scheduled_jobs AS j  -- a negative one is none
                                        WHERE j.job_name = r.job_name AND j.status IN ('completed', 'failed') AND j.duration_ms >= 0
                                          AND j.started_at >= (r.day::timestamp AT TIME ZONE 'UTC')
                                          AND j.started_at < ((r.day + 1)::timestamp AT TIME ZONE 'UTC'))
                                     ELSE (
                                       SELECT max(j.duration_ms) FROM public.scheduled_jobs AS j
                                        WHERE j.job_name = r.job_name AND j.status IN ('completed', 'failed') AND j.duration_ms >= 0
                                          AND coalesce((j.started_at AT TIME ZONE 'UTC')::date, '-infinity') = r.day) END
      FROM (SELECT o.job_name, k.day,
                   count(*) FILTER (WHERE o.status = 'completed') AS completed,
                   count(*) FILTER (WHERE o.status = 'failed') AS failed,
                   count(k.ms) AS duration_count,
                   coalesce(sum(k.ms), 0) AS duration_sum,
                   max(k.ms) AS duration_max,
                   scheduler_private.histogram_of(
                     array_agg(scheduler_private.duration_bucket(k.ms)) FILTER (WHERE k.ms IS NOT NULL),
                     array_agg(-1) FILTER (WHERE k.ms IS NOT NULL)) AS histogram
              FROM old_rows AS o
             CROSS JOIN LATERAL (SELECT coalesce((o.started_at AT TIME ZONE 'UTC')::date, '-infinity'),
                                        CASE WHEN o.duration_ms >= 0 THEN o.duration_ms END) AS k(day, ms)
             WHERE o.status IN ('completed', 'failed')
             GROUP BY 1, 2) AS x
     WHERE r.job_name = x.job_name AND r.day = x.day;
    DELETE FROM public.job_execution_rollups AS r
     WHERE r.completed = 0 AND r.failed = 0
       AND (r.job_name, r.day) IN (SELECT o.job_name, coalesce((o.started_at AT TIME ZONE 'UTC')::date, '-infinity')
                                     FROM old_rows AS o WHERE o.status IN ('completed', 'failed'));
    RETURN NULL;
  END IF;

  SELECT count(*) INTO written FROM (SELECT FROM new_rows LIMIT 2) AS x;

  IF written = 1 THEN
    -- One execution written: from NEW and OLD.
    IF TG_OP = 'UPDATE' AND OLD.status IN ('completed', 'failed') THEN
      IF NEW.status = OLD.status
         AND NEW.completed_at IS NOT DISTINCT FROM OLD.completed_at
         AND NEW.duration_ms IS NOT DISTINCT FROM OLD.duration_ms
         AND NEW.started_at IS NOT DISTINCT FROM OLD.started_at THEN
        RETURN NULL;  -- already counted; nothing the statistics show has changed
      END IF;
      -- A correction of a finished execution.
      UPDATE public.job_schedules AS s
         SET successful_runs = s.successful_runs + (NEW.status = 'completed')::int - (OLD.status = 'completed')::int,
             failed_runs     = s.failed_runs + (NEW.status = 'failed')::int - (OLD.status = 'failed')::int
       WHERE s.job_name = NEW.job_name;  -- even when only the duration changed: the job row is locked first
      UPDATE public.job_schedules AS s
         SET (last_run_at, last_run_status, last_run_duration_ms) = (
               SELECT j.completed_at, j.status, CASE WHEN j.duration_ms >= 0 THEN j.duration_ms END
                 FROM public.scheduled_jobs AS j
                WHERE j.job_name = NEW.job_name AND j.status IN ('completed', 'failed') AND j.completed_at IS NOT NULL
                ORDER BY j.completed_at DESC, j.id DESC
                LIMIT 1)
       WHERE s.job_name = NEW.job_name
         AND s.last_run_at <= greatest(OLD.completed_at, NEW.completed_at);
      corrections := 1;
    ELSE
      -- The execution reaches a final status for the first time (inserted finished, or running -> finished):
      -- one statement for the job row and its rollup row of the day, the cheapest way to write both (no helper
      -- function calls either: each would cost as much as the rest of the rollup's update).
      bucket := pg_catalog.width_bucket(NEW.duration_ms, {{bounds}}::integer[]);
      WITH counted AS (
        UPDATE public.job_schedules AS s
           SET total_runs      = s.total_runs + 1,
               successful_runs = s.successful_runs + (NEW.status = 'completed')::int,
               failed_runs     = s.failed_runs + (NEW.status = 'failed')::int,
               last_run_at          = CASE WHEN s.last_run_at IS NULL OR NEW.completed_at >= s.last_run_at
                                           THEN NEW.completed_at ELSE s.last_run_at END,
               last_run_status      = CASE WHEN s.last_run_at IS NULL OR NEW.completed_at >= s.last_run_at
                                           THEN NEW.status ELSE s.last_run_status END,
               last_run_duration_ms = CASE WHEN s.last_run_at IS NULL OR NEW.completed_at >= s.last_run_at
                                           THEN NEW.duration_ms ELSE s.last_run_duration_ms END
         WHERE s.job_name = NEW.job_name
        RETURNING 1
      )
      UPDATE public.job_execution_rollups AS r
         SET completed          = r.completed + (NEW.status = 'completed')::int,
             failed             = r.failed + (NEW.status = 'failed')::int,
             duration_count     = r.duration_count + (NEW.duration_ms IS NOT NULL)::int,
             duration_sum       = r.duration_sum + coalesce(NEW.duration_ms, 0),
             duration_max       = greatest(r.duration_max, NEW.duration_ms),
             -- Without a duration, bucket 1 gets 0 added: the histogram keeps its counts.
             duration_histogram[coalesce(bucket, 1)] = coalesce(r.duration_histogram[coalesce(bucket, 1)], 0)
                                                       + (bucket IS NOT NULL)::int
       WHERE r.job_name = NEW.job_name AND r.day = (NEW.started_at AT TIME ZONE 'UTC')::date
         -- The job row first, then the rollup row, in every path: writers never wait on each other in a cycle.
         -- (Without a job row, nothing is updated here and the rollup is written below.)
         AND EXISTS (SELECT FROM counted);
      IF FOUND THEN
        RETURN NULL;
      END IF;
      corrections := 0;
    END IF;
    -- Its new state into the rollup of its day (the first execution of the day creates the row).
    INSERT INTO public.job_execution_rollups AS r
           (job_name, day, completed, failed, duration_count, duration_sum, duration_max, duration_histogram)
    VALUES (NEW.job_name, (NEW.started_at AT TIME ZONE 'UTC')::date,
            (NEW.status = 'completed')::int, (NEW.status = 'failed')::int, (NEW.duration_ms IS NOT NULL)::int,
            coalesce(NEW.duration_ms, 0), NEW.duration_ms,
            scheduler_private.histogram_of(ARRAY[scheduler_private.duration_bucket(NEW.duration_ms)], ARRAY[1]))
        ON CONFLICT (job_name, day) DO UPDATE
       SET completed          = r.completed + excluded.completed,
           failed             = r.failed + excluded.failed,
           duration_count     = r.duration_count + excluded.duration_count,
           duration_sum       = r.duration_sum + excluded.duration_sum,
           duration_max       = greatest(r.duration_max, excluded.duration_max),
           duration_histogram = scheduler_private.histogram_add(r.duration_histogram, excluded.duration_histogram);
    IF corrections = 0 THEN
      RETURN NULL;
    END IF;
  ELSE
    -- Many executions written: the firing for the statement's first finished one handles them all.
    IF NEW.id IS DISTINCT FROM (SELECT n.id FROM new_rows AS n WHERE n.status IN ('completed', 'failed') LIMIT 1) THEN
      RETURN NULL;
    END IF;
    -- The job rows in name order, then the rollup rows: concurrent batches over the same jobs queue instead of
    -- deadlocking.
    PERFORM FROM public.job_schedules AS s
      WHERE s.job_name IN (SELECT n.job_name FROM new_rows AS n WHERE n.status IN ('completed', 'failed'))
      ORDER BY s.job_name
        FOR UPDATE;
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
      RETURNING 1
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
       WHERE (SELECT count(*) FROM counted) >= 0  -- after the job rows (see above)
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
    -- A first finish (it was running, or held a status outside the three that only an adopted history keeps) counts as
    -- a run; otherwise the change is a correction, which moves the run
    -- between the counters, takes the old state out of the rollups and puts the new one in.
    WITH changes AS (
      SELECT n.id, n.job_name, n.status, n.started_at, n.completed_at, n.duration_ms,
             o.status AS old_status, o.completed_at AS old_completed_at,
             o.status NOT IN ('completed', 'failed') AS first_finish
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
      RETURNING 1
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
       WHERE (SELECT count(*) FROM counted) >= 0  -- after the job rows (see above)
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
             SELECT j.completed_at, j.status, CASE WHEN j.duration_ms >= 0 THEN j.duration_ms END
               FROM public.scheduled_jobs AS j
              WHERE j.job_name = s.job_name AND j.status IN ('completed', 'failed') AND j.completed_at IS NOT NULL
              ORDER BY j.completed_at DESC, j.id DESC
              LIMIT 1)
      FROM (SELECT n.job_name, max(greatest(o.completed_at, n.completed_at)) AS reaches
              FROM new_rows AS n
              JOIN old_rows AS o ON o.id = n.id
             WHERE o.status IN ('completed', 'failed')
               AND (o.status, o.completed_at, o.duration_ms) IS DISTINCT FROM (n.status, n.completed_at, n.duration_ms)
             GROUP BY n.job_name) AS c
     WHERE s.job_name = c.job_name
       AND s.last_run_at <= c.reaches;
  END IF;

  -- The corrected executions' old state leaves the rollups (the new one went in above).
  UPDATE public.job_execution_rollups AS r
     SET completed          = r.completed - x.completed,
         failed             = r.failed - x.failed,
         duration_count     = r.duration_count - x.duration_count,
         duration_sum       = r.duration_sum - x.duration_sum,
         duration_histogram = scheduler_private.histogram_add(r.duration_histogram, x.histogram),
         duration_max       = CASE WHEN (x.duration_max >= r.duration_max) IS NOT TRUE THEN r.duration_max
                                   WHEN pg_catalog.isfinite(r.day) THEN (
                                     SELECT max(j.duration_ms) FROM public.scheduled_jobs AS j  -- a negative one is none
                                      WHERE j.job_name = r.job_name AND j.status IN ('completed', 'failed') AND j.duration_ms >= 0
                                        AND j.started_at >= (r.day::timestamp AT TIME ZONE 'UTC')
                                        AND j.started_at < ((r.day + 1)::timestamp AT TIME ZONE 'UTC'))
                                   ELSE (
                                     SELECT max(j.duration_ms) FROM public.scheduled_jobs AS j
                                      WHERE j.job_name = r.job_name AND j.status IN ('completed', 'failed') AND j.duration_ms >= 0
                                        AND coalesce((j.started_at AT TIME ZONE 'UTC')::date, '-infinity') = r.day) END
    FROM (SELECT o.job_name, k.day,
                 count(*) FILTER (WHERE o.status = 'completed') AS completed,
                 count(*) FILTER (WHERE o.status = 'failed') AS failed,
                 count(k.ms) AS duration_count,
                 coalesce(sum(k.ms), 0) AS duration_sum,
                 max(k.ms) AS duration_max,
                 scheduler_private.histogram_of(
                   array_agg(scheduler_private.duration_bucket(k.ms)) FILTER (WHERE k.ms IS NOT NULL),
                   array_agg(-1) FILTER (WHERE k.ms IS NOT NULL)) AS histogram
            FROM new_rows AS n
            JOIN old_rows AS o ON o.id = n.id
           CROSS JOIN LATERAL (SELECT coalesce((o.started_at AT TIME ZONE 'UTC')::date, '-infinity'),
                                        CASE WHEN o.duration_ms >= 0 THEN o.duration_ms END) AS k(day, ms)
           WHERE o.status IN ('completed', 'failed')
             AND (o.status, o.completed_at, o.duration_ms, o.started_at)
                 IS DISTINCT FROM (n.status, n.completed_at, n.duration_ms, n.started_at)
           GROUP BY 1, 2) AS x
   WHERE r.job_name = x.job_name AND r.day = x.day;
  DELETE FROM public.job_execution_rollups AS r
   WHERE r.completed = 0 AND r.failed = 0
     AND (r.job_name, r.day) IN (SELECT o.job_name, coalesce((o.started_at AT TIME ZONE 'UTC')::date, '-infinity')
                                   FROM old_rows AS o WHERE o.status IN ('completed', 'failed'));
  RETURN NULL;
END
$$;
