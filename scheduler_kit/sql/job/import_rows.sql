-- Every job row as the database holds it, for `make jobs-import`: one JSON object per row, so that a table of
-- another shape (an adopted one may lack retired_at, or hold config as text) is read as it is.
SELECT pg_catalog.to_jsonb(s) AS job_row
FROM public.job_schedules AS s
