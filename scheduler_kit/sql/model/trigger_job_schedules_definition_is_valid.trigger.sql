-- A job's definition is checked when it is written: on INSERT, and on an UPDATE that sets one of these columns
-- (see check_job_definition for why this is not a CHECK constraint). Statistics updates name none of them.
CREATE TRIGGER trigger_job_schedules_definition_is_valid
  BEFORE INSERT OR UPDATE OF job_name, cron_expression, service, endpoint, config ON public.job_schedules
  FOR EACH ROW
  EXECUTE FUNCTION scheduler_private.check_job_definition();
