-- Fires only for the writes it refuses, so ordinary writes pay nothing for it.
CREATE TRIGGER trigger_scheduled_jobs_finished_is_final
  BEFORE UPDATE ON public.scheduled_jobs
  FOR EACH ROW
  WHEN ((OLD.status IN ('completed', 'failed')
         AND (NEW.status = 'running' OR NEW.job_name IS DISTINCT FROM OLD.job_name))
        OR NEW.id IS DISTINCT FROM OLD.id)
  EXECUTE FUNCTION scheduler_private.refuse_reopening();
