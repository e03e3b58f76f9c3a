-- Executions deleted (retention): the rollups lose them, the lifetime counters keep them.
CREATE TRIGGER trigger_update_job_stats_on_delete
  AFTER DELETE ON public.scheduled_jobs
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION public.update_job_schedule_stats();
