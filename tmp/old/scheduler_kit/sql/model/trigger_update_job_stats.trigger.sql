-- The seed's trigger, under its name. The WHEN clause keeps writes of running executions free of any call;
-- the function itself decides whether a write to a finished execution counts (see update_job_schedule_stats).
CREATE TRIGGER trigger_update_job_stats
  AFTER INSERT OR UPDATE ON public.scheduled_jobs
  FOR EACH ROW
  WHEN (NEW.status IN ('completed', 'failed'))
  EXECUTE FUNCTION public.update_job_schedule_stats();
