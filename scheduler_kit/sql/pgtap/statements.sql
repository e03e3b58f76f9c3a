-- The statement each matrix cell runs as its actor (the forms of scheduler_kit/access/probe.py `statement`, over the whole
-- tables but for the history pages, which read the file's own jobs), by `-- <kind> <operation> [object]` and its measure. {{table}} is the cell's table, {{column}} an UPDATE's column.
-- table SELECT row_count
SELECT * FROM {{table}}
-- table DELETE row_count
DELETE FROM {{table}}
-- table TRUNCATE success
TRUNCATE {{table}}
-- table UPDATE row_count
UPDATE {{table}} SET {{column}} = {{column}}
-- table INSERT job_schedules row_count
INSERT INTO public.job_schedules (job_name, cron_expression, service, endpoint) VALUES ('kit-pgtap-new', '0 1 * * *', 'svc', '/new')
-- table INSERT users row_count
INSERT INTO public.users (clerk_user_id, role) VALUES ('kit_pgtap_intruder', 'admin')
-- table INSERT job_execution_rollups row_count
INSERT INTO public.job_execution_rollups (job_name, day) VALUES ('kit-pgtap-job', date '2000-01-01')
-- table INSERT scheduled_jobs row_count
INSERT INTO public.scheduled_jobs (job_name) VALUES ('kit-pgtap-job')
-- function EXECUTE get_job_execution_history row_count
SELECT h.id FROM pg_temp.kit_history_jobs j, LATERAL public.get_job_execution_history(j.job_name, 1000, 0) AS h
-- function EXECUTE get_job_execution_history_page row_count
SELECT h.id FROM pg_temp.kit_history_jobs j, LATERAL public.get_job_execution_history_page(j.job_name, 1000, NULL, NULL) AS h
-- function EXECUTE get_job_execution_stats value
SELECT coalesce(sum(s.total_executions), 0) FROM public.get_job_execution_stats(NULL) AS s
-- function EXECUTE purge_job_execution_history value
SELECT public.purge_job_execution_history(interval '0 seconds')
