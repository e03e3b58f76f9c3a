-- A finished execution stays finished and stays with its job: it cannot go back to running (that would un-count a
-- run the statistics already hold) nor move to another job. Corrections between completed and failed are allowed.
-- An execution keeps its id: the statistics trigger pairs each execution's state before and after a write by it.
CREATE OR REPLACE FUNCTION scheduler_private.refuse_reopening()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
  IF NEW.id IS DISTINCT FROM OLD.id THEN
    RAISE EXCEPTION 'execution % of job % cannot change its id to %', OLD.id, OLD.job_name, NEW.id
      USING ERRCODE = 'check_violation', HINT = 'Record a new execution instead.';
  END IF;
  IF NEW.status = 'running' THEN
    RAISE EXCEPTION 'execution % of job % has already finished (%); it cannot go back to running',
      OLD.id, OLD.job_name, OLD.status
      USING ERRCODE = 'check_violation', HINT = 'Correct a finished execution to completed or failed only.';
  END IF;
  RAISE EXCEPTION 'execution % has finished; its job_name cannot change from % to %', OLD.id, OLD.job_name, NEW.job_name
    USING ERRCODE = 'check_violation';
END
$$;
