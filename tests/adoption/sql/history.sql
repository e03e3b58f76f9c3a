-- Months of execution history, written the way the scheduler service wrote it (as service_role, each execution
-- inserted `running` and later updated to completed or failed), so every finish went through the seed's trigger;
-- plus the later writes the service made to finished executions (a notification flag, a retry note on a failure,
-- a completed run corrected to failed), each of which the seed's trigger counted again.
-- Settings (set_config before running): testbed.executions (how many), testbed.batch (executions per transaction:
-- the seed's trigger updates the job's row once per execution, and the versions of that row pile up within a
-- transaction), testbed.end (the newest start). Runs outside a transaction block: it commits each batch.
-- Every value derives from the execution's number and a hash of its id, so each run looks alike.
-- legacy-export has history but no job row any more (the service deleted it): the trigger counted nothing for it.
DO $$
DECLARE
  total integer := current_setting('testbed.executions')::integer;
  batch integer := current_setting('testbed.batch')::integer;
  newest timestamptz := current_setting('testbed.end')::timestamptz;
  span interval := interval '180 days';
  -- Each job as often as its weight says (a busy job writes many more executions than a weekly one).
  slots text[] := ARRAY(
    SELECT w.job_name
      FROM (VALUES ('session-reaper', 9), ('cache-warmup', 6), ('webhook-retry', 5), ('hourly-sync', 4),
                   ('search-reindex', 3), ('daily-cleanup', 2), ('report-builder', 2), ('weekly-digest', 1),
                   ('invoice-run', 1), ('backup-verify', 1), ('legacy-export', 1)) AS w(job_name, weight),
           generate_series(1, w.weight)
     ORDER BY w.job_name);
  first_start timestamptz := newest - span;
  low integer := 1;
  high integer;
  ids uuid[];  -- this batch's executions
BEGIN
  WHILE low <= total LOOP
    high := least(low + batch - 1, total);
    -- The service starts each execution.
    WITH started AS (
      INSERT INTO scheduled_jobs (job_name, job_type, status, started_at, triggered_by, metadata)
      SELECT slots[(1 + i::bigint * 7919 % cardinality(slots))::integer],
           CASE WHEN i % 3 = 0 THEN 'batch' ELSE 'scheduled' END,
           'running',
           first_start + span * ((i - 1)::float8 / total),
           CASE WHEN i % 97 = 0 THEN 'manual' ELSE 'scheduler' END,
           jsonb_build_object('attempt', 1, 'host', 'worker-' || (i % 4))
        FROM generate_series(low, high) AS i
      RETURNING id)
    SELECT array_agg(id) INTO ids FROM started;
    -- ... and finishes it, except the newest five (still running) and a few that a crashed worker never finished.
    UPDATE scheduled_jobs AS j
       SET status = CASE WHEN f.fails THEN 'failed' ELSE 'completed' END,
           completed_at = j.started_at + f.duration * interval '1 millisecond',
           duration_ms = f.duration,
           items_processed = f.items,
           items_succeeded = f.items - f.items_failed,
           items_failed = f.items_failed,
           error_message = CASE WHEN f.fails THEN 'upstream returned 503' END
      FROM (SELECT v.id, v.h, v.duration, v.fails, v.items,
                   CASE WHEN v.fails THEN v.items ELSE least(v.items, (v.h / 7) % 5) END AS items_failed
              FROM (SELECT s.id, s.h, s.h % 100 < 7 AS fails, s.h % 500 AS items,
                           -- a duration typical of the job, varying around it
                           50 * (1 + (hashtext(s.job_name) & 2147483647) % 40)
                             + (hashtext(s.id::text || 'd') & 2147483647) % 60000 AS duration
                      FROM (SELECT r.id, r.job_name, hashtext(r.id::text) & 2147483647 AS h
                              FROM scheduled_jobs AS r
                             WHERE r.id = ANY (ids)) AS s) AS v) AS f
     WHERE j.id = f.id
       AND f.h % 2003 <> 0
       AND j.started_at < first_start + span * ((total - 5)::float8 / total);
    -- Later writes to finished executions, each counted again by the seed's trigger.
    UPDATE scheduled_jobs
       SET metadata = metadata || '{"notified": true}'::jsonb
     WHERE id = ANY (ids) AND status IN ('completed', 'failed')
       AND (hashtext(id::text || 'n') & 2147483647) % 20 = 0;
    UPDATE scheduled_jobs
       SET error_message = error_message || ' (retried by hand)'
     WHERE id = ANY (ids) AND status = 'failed'
       AND (hashtext(id::text || 'r') & 2147483647) % 3 = 0;
    UPDATE scheduled_jobs
       SET status = 'failed', error_message = 'marked failed: output was empty'
     WHERE id = ANY (ids) AND status = 'completed'
       AND (hashtext(id::text || 'c') & 2147483647) % 400 = 0;
    COMMIT;
    low := high + 1;
  END LOOP;
END
$$;
