-- The jobs the services registered (as service_role, through the seed's INSERT policy), with the seed's counters at
-- zero: the history written afterwards (history.sql) is what the seed's trigger counted. Every definition here
-- follows the kit's rules (bad_rows.sql adds three that do not). backup-verify was disabled by an admin.
INSERT INTO job_schedules (job_name, display_name, description, cron_expression, enabled, service, endpoint, config)
VALUES
  ('weekly-digest', 'Weekly Digest Email', 'Sends the weekly digest to subscribers', '0 9 * * 1', true,
   'email-service', '/api/jobs/weekly-digest', '{"batchSize": 100, "maxEmails": 10000}'),
  ('daily-cleanup', 'Daily Cleanup', 'Removes expired uploads', '0 3 * * *', true,
   'maintenance-service', '/api/jobs/cleanup', '{}'),
  ('hourly-sync', 'CRM Sync', 'Pulls contacts from the CRM', '0 * * * *', true,
   'crm-service', '/api/jobs/crm-sync', '{"pageSize": 500}'),
  ('session-reaper', 'Session Reaper', 'Ends idle sessions', '*/5 * * * *', true,
   'auth-service', '/api/jobs/reap-sessions', '{}'),
  ('invoice-run', 'Monthly Invoices', 'Issues the monthly invoices', '0 6 1 * *', true,
   'billing-service', '/api/jobs/invoices', '{"dryRun": false}'),
  ('report-builder', 'Nightly Reports', 'Builds the analytics reports', '30 2 * * *', true,
   'analytics-service', '/api/jobs/reports', '{}'),
  ('search-reindex', 'Search Reindex', 'Rebuilds the search index', '15 */6 * * *', true,
   'search-service', '/api/jobs/reindex', '{"full": false}'),
  ('cache-warmup', 'Cache Warm-up', 'Fills the page cache', '*/15 * * * *', true,
   'web-service', '/api/jobs/cache-warmup', '{}'),
  ('backup-verify', 'Backup Verification', 'Restores last night''s backup into a scratch database', '0 4 * * 0', false,
   'ops-service', '/api/jobs/backup-verify', '{}'),
  ('webhook-retry', 'Webhook Retry', 'Re-sends failed webhooks', '*/10 * * * *', true,
   'integrations-service', '/api/jobs/webhook-retry', '{"maxAttempts": 5}');
