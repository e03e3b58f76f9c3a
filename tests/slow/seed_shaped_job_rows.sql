-- job_schedules in a shape the kit did not make, as a database applied from the seed may hold it: nullable cron
-- and enabled, config as text, integer counters, no retired_at; and rows that use that freedom.
CREATE TABLE public.job_schedules (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  job_name        text UNIQUE NOT NULL,
  display_name    text,
  description     text,
  cron_expression text,
  enabled         boolean DEFAULT true,
  service         text,
  endpoint        text,
  config          text,
  total_runs      integer DEFAULT 0
);
INSERT INTO public.job_schedules (job_name, display_name, cron_expression, enabled, service, endpoint, config)
VALUES
  ('weekly-digest', 'Weekly Digest Email', '0 9 * * 1', true, 'email-service', '/api/jobs/weekly-digest',
   '{"batchSize": 100}'),
  ('unscheduled', 'Unscheduled', NULL, true, 'email-service', '/api/jobs/unscheduled', NULL),
  ('undecided', 'Undecided', '@daily', NULL, 'email-service', '/api/jobs/undecided', 'not json'),
  ('nowhere', 'Nowhere', '@daily', true, NULL, '/api/jobs/nowhere', '{}');
