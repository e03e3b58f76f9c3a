-- Every job row as JSON (whatever columns the table has): the adoption report checks their definitions.
SELECT pg_catalog.to_jsonb(s) AS row FROM public.job_schedules AS s ORDER BY s.job_name
