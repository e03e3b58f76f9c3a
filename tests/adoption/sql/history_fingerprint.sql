-- A digest of every execution's original columns (the seed's fourteen, nothing the kit adds), in id order, and
-- the count. The values are normalized so that widening a type changes nothing: numbers as bigint, times as epoch
-- seconds of the instant (a `timestamp` column read as UTC, which is how the test bed writes it), names as text.
-- Run with TimeZone = 'UTC' (legacy_db.py sets it).
SELECT count(*) AS executions,
       md5(string_agg(md5(ROW(
         j.id, j.job_name::text, j.job_type, j.status,
         extract(epoch FROM j.started_at::timestamptz), extract(epoch FROM j.completed_at::timestamptz),
         j.duration_ms::bigint, j.items_processed::bigint, j.items_succeeded::bigint, j.items_failed::bigint,
         j.error_message, j.triggered_by, j.triggered_by_user, j.metadata::jsonb
       )::text), '' ORDER BY j.id)) AS digest
  FROM public.scheduled_jobs AS j;
