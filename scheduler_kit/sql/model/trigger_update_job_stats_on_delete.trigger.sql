-- Executions deleted (retention): the rollups lose them, the lifetime counters keep them. Running ones are in no
-- rollup, so deleting them calls nothing.
CREATE TRIGGER trigger_update_job_stats_on_delete
  AFTER DELETE ON public.scheduled_jobs
  REFERENCING OLD TABLE AS old_rows
  FOR EACH ROW
  WHEN (OLD.status IN ('completed', 'failed'))
  EXECUTE FUNCTION public.update_job_schedule_stats();
