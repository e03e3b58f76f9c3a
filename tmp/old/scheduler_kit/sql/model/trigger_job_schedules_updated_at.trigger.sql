-- updated_at follows changes to a job's definition, not to its statistics (those would defeat HOT updates).
CREATE TRIGGER trigger_job_schedules_updated_at
  BEFORE UPDATE ON public.job_schedules
  FOR EACH ROW
  WHEN (
    (OLD.job_name, OLD.display_name, OLD.description, OLD.cron_expression, OLD.enabled, OLD.service, OLD.endpoint,
     OLD.config)
    IS DISTINCT FROM
    (NEW.job_name, NEW.display_name, NEW.description, NEW.cron_expression, NEW.enabled, NEW.service, NEW.endpoint,
     NEW.config)
  )
  EXECUTE FUNCTION scheduler_private.touch_updated_at();
