-- The kit's statistics function and trigger as they were before transition tables (git 5399167^): one row-level
-- trigger for INSERT OR UPDATE, the function reading NEW and OLD only. tests/slow/test_statistics_upgrade.py
-- upgrades a database from this state while writers run.

-- Keeps job_schedules' statistics in step with scheduled_jobs. Where the seed's version double-counts, this one:
--   * counts an execution once, when it first reaches completed or failed;
--   * ignores later writes to a finished execution (metadata, error text, the same status again);
--   * treats completed <-> failed on a finished execution as a correction: the run moves between the two
--     counters, total_runs stays;
--   * sets last_run_* only from an execution at least as recent (by completed_at) as the one they describe, so an
--     older execution finishing late never moves last_run_at backwards; a correction to the latest execution
--     recomputes them from history;
-- (Taking a finished execution back to running, or to another job, is refused before this runs: see
-- trigger_scheduled_jobs_finished_is_final.)
-- Deleting history (retention clean-up) leaves the lifetime counters alone.
-- SECURITY DEFINER: the statistics are written whatever the writer's column privileges; names are qualified and
-- search_path is empty. The single UPDATE touches no indexed column, so it is a HOT update on job_schedules.
CREATE OR REPLACE FUNCTION public.update_job_schedule_stats()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.status IN ('completed', 'failed') THEN
    IF NEW.status = OLD.status
       AND NEW.completed_at IS NOT DISTINCT FROM OLD.completed_at
       AND NEW.duration_ms IS NOT DISTINCT FROM OLD.duration_ms THEN
      RETURN NULL;  -- already counted; nothing the statistics show has changed
    END IF;
    -- A correction of a finished execution.
    UPDATE public.job_schedules AS s
       SET successful_runs = s.successful_runs + (NEW.status = 'completed')::int - (OLD.status = 'completed')::int,
           failed_runs     = s.failed_runs + (NEW.status = 'failed')::int - (OLD.status = 'failed')::int
     WHERE s.job_name = NEW.job_name;
    UPDATE public.job_schedules AS s
       SET (last_run_at, last_run_status, last_run_duration_ms) = (
             SELECT j.completed_at, j.status, j.duration_ms
               FROM public.scheduled_jobs AS j
              WHERE j.job_name = NEW.job_name AND j.status IN ('completed', 'failed')
              ORDER BY j.completed_at DESC
              LIMIT 1)
     WHERE s.job_name = NEW.job_name
       AND s.last_run_at <= greatest(OLD.completed_at, NEW.completed_at);
    RETURN NULL;
  END IF;

  -- The execution reaches a final status for the first time (inserted finished, or running -> finished).
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
   WHERE s.job_name = NEW.job_name;
  RETURN NULL;
END
$$;

-- The seed's trigger, under its name. The WHEN clause keeps writes of running executions free of any call;
-- the function itself decides whether a write to a finished execution counts (see update_job_schedule_stats).
CREATE TRIGGER trigger_update_job_stats
  AFTER INSERT OR UPDATE ON public.scheduled_jobs
  FOR EACH ROW
  WHEN (NEW.status IN ('completed', 'failed'))
  EXECUTE FUNCTION public.update_job_schedule_stats();
