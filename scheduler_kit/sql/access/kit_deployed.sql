-- Whether the kit is deployed in this database at all (observing an empty database would only say `denied`).
SELECT to_regclass('public.job_schedules') IS NOT NULL AND to_regclass('public.scheduled_jobs') IS NOT NULL;
