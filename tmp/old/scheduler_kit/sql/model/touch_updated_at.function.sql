-- Keeps job_schedules.updated_at honest when a definition column changes (deploys and admin toggles alike).
CREATE OR REPLACE FUNCTION scheduler_private.touch_updated_at()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
  NEW.updated_at := pg_catalog.now();
  RETURN NEW;
END
$$;
