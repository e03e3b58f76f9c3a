-- Job rows as a database the kit adopts may hold them: two that fit the kit's rules (one with an admin's schedule
-- and switch-off), and rows its definition rules refuse, written with the rule's trigger off as a legacy database
-- (which never had it) holds them. Statistics columns are left at their defaults.
ALTER TABLE public.job_schedules DISABLE TRIGGER trigger_job_schedules_definition_is_valid;
INSERT INTO public.job_schedules
  (job_name, display_name, description, cron_expression, enabled, service, endpoint, config, retired_at)
VALUES
  ('weekly-digest', 'Weekly Digest Email', E'Sends the digest.\nEvery Monday.', '0 9 * * 1', true, 'email-service',
   '/api/jobs/weekly-digest', '{"batchSize": 100, "tables": ["events", "sessions"], "yes": "no"}', NULL),
  ('nightly-cleanup', 'Nightly Cleanup', NULL, '*/15 * * * *', false, 'maintenance-service',
   '/api/jobs/nightly-cleanup', '{}', NULL),
  ('Legacy_Report', 'Legacy Report', NULL, '0 6 * * *', true, 'report-service', '/api/jobs/legacy-report', '{}', NULL),
  ('no-schedule', 'No Schedule', NULL, '', true, 'email-service', '/api/jobs/no-schedule', '{}', NULL),
  ('bad-cron', 'Bad Cron', NULL, '0 25 * * *', false, 'email-service', '/api/jobs/bad-cron', '{}', NULL),
  ('blank-service', 'Blank Service', NULL, '@daily', true, '', '/api/jobs/blank-service', '{}', NULL),
  ('array-config', '', NULL, '@hourly', true, 'Report_Service', 'api/jobs/array-config', '[1, 2]', NULL),
  ('old-job', 'Old Job', NULL, '@weekly', false, 'email-service', '/api/jobs/old-job', '{}', '2026-01-02 03:04:05+00');
ALTER TABLE public.job_schedules ENABLE TRIGGER trigger_job_schedules_definition_is_valid;
