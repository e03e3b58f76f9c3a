-- The seed's trigger, under its name: executions inserted. Row-level with the statement's transition table, so that
-- update_job_schedule_stats handles a one-row statement from NEW and a many-row statement at once (see there).
-- The WHEN clause keeps writes of running executions free of any call. Transition tables take one event per
-- trigger: the UPDATE and DELETE ones are trigger_update_job_stats_on_update and trigger_update_job_stats_on_delete.
CREATE TRIGGER trigger_update_job_stats
  AFTER INSERT ON public.scheduled_jobs
  REFERENCING NEW TABLE AS new_rows
  FOR EACH ROW
  WHEN (NEW.status IN ('completed', 'failed'))
  EXECUTE FUNCTION public.update_job_schedule_stats();

-- The rollups are derived from the history: on a database that has history but no rollups yet (the kit's earlier
-- versions), build them here, under the lock CREATE TRIGGER holds on scheduled_jobs, so that no write falls between.
INSERT INTO public.job_execution_rollups
       (job_name, day, completed, failed, duration_count, duration_sum, duration_max, duration_histogram)
SELECT j.job_name, (j.started_at AT TIME ZONE 'UTC')::date,
       count(*) FILTER (WHERE j.status = 'completed'), count(*) FILTER (WHERE j.status = 'failed'),
       count(j.duration_ms), coalesce(sum(j.duration_ms), 0), max(j.duration_ms),
       scheduler_private.histogram_of(
         array_agg(scheduler_private.duration_bucket(j.duration_ms)) FILTER (WHERE j.duration_ms IS NOT NULL),
         array_agg(1) FILTER (WHERE j.duration_ms IS NOT NULL))
  FROM public.scheduled_jobs AS j
 WHERE j.status <> 'running'
   AND NOT EXISTS (SELECT FROM public.job_execution_rollups)
 GROUP BY 1, 2;
