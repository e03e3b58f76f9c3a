CREATE TRIGGER trigger_scheduled_jobs_updated_at
  BEFORE UPDATE ON public.scheduled_jobs
  FOR EACH ROW
  EXECUTE FUNCTION scheduler_private.touch_updated_at();
