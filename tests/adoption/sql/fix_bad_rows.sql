-- What a user runs to repair the rows that sql/bad_rows.sql left, after an up with keepInvalidRows reported them
-- (run as the role that deploys, in one transaction). The next up then validates the constraints it added NOT VALID.
UPDATE public.scheduled_jobs SET status = 'failed', error_message = 'cancelled'
 WHERE status NOT IN ('running', 'completed', 'failed');
UPDATE public.scheduled_jobs SET completed_at = started_at WHERE completed_at < started_at;
UPDATE public.scheduled_jobs SET completed_at = started_at WHERE status <> 'running' AND completed_at IS NULL;
UPDATE public.scheduled_jobs SET duration_ms = 0 WHERE duration_ms < 0;
UPDATE public.job_schedules SET job_name = 'nightly-export' WHERE job_name = 'Nightly_Export';
UPDATE public.job_schedules SET cron_expression = '0 9 1 */3 *' WHERE job_name = 'quarterly-audit';
UPDATE public.job_schedules SET endpoint = '/api/jobs/slack-notifier' WHERE job_name = 'slack-notifier';
