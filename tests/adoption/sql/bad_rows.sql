-- Rows that break the kit's rules, as months of a real service leave them, written through the seed's trigger like
-- the rest of the history (as service_role). Each row breaks exactly one rule, so the count of each rule is known
-- (tests/adoption/legacy_db.py, BROKEN_RULES, lists them):
--   scheduled_jobs_status_check               3 executions 'cancelled' (a status outside the three)
--   scheduled_jobs_completed_after_started    2 executions completed before they started (a worker's clock skew)
--   scheduled_jobs_finished_has_completed_at  2 failed executions without completed_at (a crash path)
--   scheduled_jobs_counts_non_negative        2 executions with a negative duration: one beside valid runs of its
--                                             job on the same UTC day, one alone on its day (older than the rest)
--   job_schedules_job_name_format             job 'Nightly_Export'
--   job_schedules_cron_expression_valid       job 'quarterly-audit' with a Quartz schedule (seconds, '?')
--   job_schedules_endpoint_not_blank          job 'slack-notifier' with an empty endpoint
-- The executions are marked metadata.testbed = 'bad-row' so the tests can find their ids. Afterwards each affected
-- job finishes one normal execution, so its last_run_* describe a valid run.
INSERT INTO job_schedules (job_name, display_name, cron_expression, enabled, service, endpoint, config) VALUES
  ('Nightly_Export', 'Nightly Export', '0 1 * * *', true, 'export-service', '/api/jobs/nightly-export', '{}'),
  ('quarterly-audit', 'Quarterly Audit', '0 0 9 ? * MON', true, 'audit-service', '/api/jobs/quarterly-audit', '{}'),
  ('slack-notifier', 'Slack Notifier', '*/30 * * * *', true, 'notify-service', '', '{}');

DO $$
DECLARE
  newest timestamptz := current_setting('testbed.end')::timestamptz;
  execution uuid;
  bad record;
BEGIN
  FOR bad IN
    SELECT * FROM (VALUES
      -- job, started this long before the newest start, final status, completed_at after start (NULL: none), duration
      ('hourly-sync', interval '40 days', 'cancelled', interval '20 seconds', 20000),
      ('hourly-sync', interval '39 days', 'cancelled', interval '5 seconds', 5000),
      ('cache-warmup', interval '12 days', 'cancelled', interval '1 second', 1000),
      ('webhook-retry', interval '30 days', 'completed', interval '-3 minutes', 1200),
      ('session-reaper', interval '29 days', 'completed', interval '-1 second', 80),
      ('report-builder', interval '20 days', 'failed', NULL, NULL),
      ('search-reindex', interval '10 days', 'failed', NULL, NULL),
      ('daily-cleanup', interval '15 days', 'completed', interval '2 seconds', -2000),
      ('weekly-digest', interval '200 days', 'completed', interval '3 seconds', -3000),
      -- the three jobs whose definitions break the rules ran too
      ('Nightly_Export', interval '2 days', 'completed', interval '90 seconds', 90000),
      ('quarterly-audit', interval '3 days', 'failed', interval '4 seconds', 4000),
      ('slack-notifier', interval '1 day', 'completed', interval '1 second', 700)
    ) AS b(job_name, age, status, runtime, duration_ms)
  LOOP
    INSERT INTO scheduled_jobs (job_name, job_type, status, started_at, metadata)
    VALUES (bad.job_name, 'scheduled', 'running', newest - bad.age,
            CASE WHEN bad.job_name IN ('Nightly_Export', 'quarterly-audit', 'slack-notifier') THEN '{}'::jsonb
                 ELSE '{"testbed": "bad-row"}'::jsonb END)
    RETURNING id INTO execution;
    UPDATE scheduled_jobs
       SET status = bad.status, completed_at = started_at + bad.runtime, duration_ms = bad.duration_ms
     WHERE id = execution;
  END LOOP;

  -- A valid run of daily-cleanup started with its negative one, so that UTC day holds both, whatever the hour.
  INSERT INTO scheduled_jobs (job_name, job_type, status, started_at, metadata)
  VALUES ('daily-cleanup', 'scheduled', 'running', newest - interval '15 days', '{}')
  RETURNING id INTO execution;
  UPDATE scheduled_jobs
     SET status = 'completed', completed_at = started_at + interval '3 seconds', duration_ms = 3000
   WHERE id = execution;

  -- The service carried on: one normal execution of each affected job, the newest of its finished ones.
  FOR bad IN
    SELECT DISTINCT job_name FROM scheduled_jobs WHERE metadata ->> 'testbed' = 'bad-row'
  LOOP
    INSERT INTO scheduled_jobs (job_name, job_type, status, started_at, metadata)
    VALUES (bad.job_name, 'scheduled', 'running', newest - interval '30 minutes', '{}')
    RETURNING id INTO execution;
    UPDATE scheduled_jobs
       SET status = 'completed', completed_at = started_at + interval '1500 milliseconds', duration_ms = 1500
     WHERE id = execution;
  END LOOP;
END
$$;
