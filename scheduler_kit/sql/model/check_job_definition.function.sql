-- The rules a job's definition must follow (jobs.yaml's validation says the same earlier, with file and line; this is
-- the database's own guard, for whoever writes the table directly). A trigger on the definition columns rather than
-- CHECK constraints on purpose: PostgreSQL re-checks every CHECK of a row on every UPDATE, whatever it changes, and
-- the statistics trigger updates a job's row once per execution. The five definition checks (the cron pattern alone
-- is a 2,400-character regular expression, read back from the catalog for each statement) cost more than the
-- statistics update itself; as a trigger `OF` these columns they run only when a definition is written.
-- Each refusal reads as the CHECK constraint it replaces did (SQLSTATE 23514, its name), plus a hint with the fix.
-- Blank is what Python's str.strip() removes (tabs, newlines, no-break spaces ...), not only the spaces btrim() does.
CREATE OR REPLACE FUNCTION scheduler_private.check_job_definition()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
DECLARE
  refused text;
  field text;  -- the column and value refused, for the message's detail
  hint text;
BEGIN
  IF NOT (NEW.job_name OPERATOR(pg_catalog.~) '^[a-z0-9]+(-[a-z0-9]+)*$' AND pg_catalog.length(NEW.job_name) <= 100) THEN
    refused := 'job_schedules_job_name_format';
    field := pg_catalog.format('job_name %L', NEW.job_name);
    hint := 'A job name is lowercase letters and digits in words joined by single hyphens, at most 100 characters.';
  ELSIF NOT (NEW.cron_expression OPERATOR(pg_catalog.~*) {{cron_pattern}}) THEN
    refused := 'job_schedules_cron_expression_valid';
    field := pg_catalog.format('cron_expression %L', NEW.cron_expression);
    hint := 'Use ' || {{cron_forms}} || '.';
  ELSIF NEW.service OPERATOR(pg_catalog.!~) {{not_blank}} THEN
    refused := 'job_schedules_service_not_blank';
    field := pg_catalog.format('service %L', NEW.service);
    hint := 'Name the service that runs the job.';
  ELSIF NEW.endpoint OPERATOR(pg_catalog.!~) {{not_blank}} THEN
    refused := 'job_schedules_endpoint_not_blank';
    field := pg_catalog.format('endpoint %L', NEW.endpoint);
    hint := 'Give the endpoint the service calls, e.g. /api/jobs/cleanup.';
  ELSIF pg_catalog.jsonb_typeof(NEW.config) <> 'object' THEN
    refused := 'job_schedules_config_is_object';
    field := pg_catalog.format('config %s', NEW.config);
    hint := 'config is a JSON object, e.g. {} or {"batch_size": 100}.';
  ELSE
    RETURN NEW;
  END IF;
  -- NULLs never get here: the columns are NOT NULL, checked before this trigger's row is stored.
  RAISE EXCEPTION 'new row for relation "job_schedules" violates check constraint "%"', refused
    USING ERRCODE = 'check_violation', CONSTRAINT = refused, SCHEMA = 'public', TABLE = 'job_schedules',
          DETAIL = pg_catalog.format('Refused %s of job %L.', field, NEW.job_name), HINT = hint;
END
$$;
