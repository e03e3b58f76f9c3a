-- Whether the kit keeps the statistics of this database already (the take-over's mark on the rollups table), and
-- whether there are tables to adopt at all.
SELECT coalesce(pg_catalog.obj_description(pg_catalog.to_regclass('public.job_execution_rollups'), 'pg_class')
                LIKE 'scheduler-kit:%', false) AS kept,
       pg_catalog.to_regclass('public.job_schedules') IS NOT NULL AS has_job_schedules,
       pg_catalog.to_regclass('public.scheduled_jobs') IS NOT NULL AS has_scheduled_jobs
