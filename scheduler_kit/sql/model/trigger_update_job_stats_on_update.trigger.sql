-- Executions updated (finished, corrected): see update_job_schedule_stats. Updates that leave an execution running
-- call nothing (a finished one cannot go back to running).
CREATE TRIGGER trigger_update_job_stats_on_update
  AFTER UPDATE ON public.scheduled_jobs
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH ROW
  WHEN (NEW.status IN ('completed', 'failed'))
  EXECUTE FUNCTION public.update_job_schedule_stats();
