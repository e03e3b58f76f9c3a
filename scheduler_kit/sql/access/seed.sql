-- The rows every matrix case runs over (as service_role, rolled back with the case): variety that can reveal a
-- partial leak: enabled, disabled and retired jobs; running, completed and failed executions, of a live job, of a
-- retired one and of a job with no schedule row at all; users rows a lax admin check would match.
INSERT INTO public.users (clerk_user_id, role) VALUES (%(admin)s, 'admin'), (%(regular)s, 'user'), ('', 'admin'),
  (%(numeric)s, 'admin') ON CONFLICT DO NOTHING;
INSERT INTO public.job_schedules (job_name, cron_expression, service, endpoint, enabled, retired_at, config) VALUES
  (%(job)s, '0 9 * * 1', 'matrix-service', '/api/jobs/matrix', true, NULL, '{"batchSize": 100}'),
  ('matrix-disabled', '*/5 * * * *', 'matrix-service', '/api/jobs/disabled', false, NULL, '{}'),
  ('matrix-retired', '0 0 1 * *', 'matrix-service', '/api/jobs/retired', false, now() - interval '3 days', '{}');
INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at, duration_ms, error_message, metadata) VALUES
  (%(job)s, 'running', now() - interval '2 minutes', NULL, NULL, NULL, '{}'),
  (%(job)s, 'completed', now() - interval '10 minutes', now() - interval '9 minutes', 60000, NULL, '{"emails": 3}'),
  (%(job)s, 'failed', now() - interval '20 minutes', now() - interval '19 minutes', 1000, 'timeout', '{}'),
  ('matrix-disabled', 'completed', now() - interval '2 days', now() - interval '2 days', 5, NULL, '{}'),
  ('matrix-retired', 'failed', now() - interval '5 days', now() - interval '5 days', 7, 'gone', '{}'),
  ('matrix-retired', 'completed', now() - interval '6 days', now() - interval '6 days', 9, NULL, '{}'),
  ('matrix-unscheduled', 'completed', now() - interval '1 day', now() - interval '1 day', 11, NULL, '{}');
