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

-- Taking over the statistics. The statistics (the job rows' counters and last_run_*, the rollups) are the kit's own
-- once this trigger has been installed with them; a comment on the rollups table records it. Until then (a fresh
-- database, a database whose migration 035 kept them with the seed's trigger, which counted an execution again on
-- every later write, or rollups a failed deploy left for anyone to write), they are recounted from the history here,
-- under the lock CREATE TRIGGER holds on scheduled_jobs: no write falls between the count and the trigger that
-- keeps it from then on, so no execution is lost or counted twice. The history itself is only read.
-- (A database of the kit's earlier releases, which kept them right but recorded nothing, is recognised by their
-- UPDATE trigger and keeps its counters: retention may have deleted history those counters still count.)
DO $take_over$
DECLARE
  rule record;
BEGIN
  IF pg_catalog.obj_description('public.job_execution_rollups'::regclass, 'pg_class') LIKE 'scheduler-kit:%' THEN
    RETURN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_trigger t
                  WHERE t.tgrelid = 'public.scheduled_jobs'::regclass
                    AND t.tgname = 'trigger_update_job_stats_on_update'
                    AND t.tgfoid = 'public.update_job_schedule_stats()'::regprocedure) THEN
    DELETE FROM public.job_execution_rollups;
    INSERT INTO public.job_execution_rollups
           (job_name, day, completed, failed, duration_count, duration_sum, duration_max, duration_histogram)
    SELECT j.job_name, coalesce((j.started_at AT TIME ZONE 'UTC')::date, '-infinity'),
           count(*) FILTER (WHERE j.status = 'completed'), count(*) FILTER (WHERE j.status = 'failed'),
           count(j.duration_ms), coalesce(sum(j.duration_ms), 0), max(j.duration_ms),
           scheduler_private.histogram_of(
             array_agg(scheduler_private.duration_bucket(j.duration_ms)) FILTER (WHERE j.duration_ms IS NOT NULL),
             array_agg(1) FILTER (WHERE j.duration_ms IS NOT NULL))
      -- Old rows kept NOT VALID (keepInvalidRows) as the trigger reads them: a negative duration is no duration (the
      -- rollups' own rules hold), a NULL start is on the day '-infinity' (in the statistics of all time, in no window),
      -- and an execution without a job is in no job's rollups.
      FROM (SELECT h.job_name, h.started_at, h.status, CASE WHEN h.duration_ms >= 0 THEN h.duration_ms END AS duration_ms
              FROM public.scheduled_jobs AS h
             WHERE h.status IN ('completed', 'failed') AND h.job_name IS NOT NULL) AS j
     GROUP BY 1, 2;
    UPDATE public.job_schedules AS s
       SET total_runs = r.total, successful_runs = r.completed, failed_runs = r.failed,
           last_run_at = r.completed_at, last_run_status = r.status, last_run_duration_ms = r.duration_ms
      FROM ({{recounted}}) AS r
     WHERE s.id = r.id
       AND (s.total_runs, s.successful_runs, s.failed_runs, s.last_run_at, s.last_run_status, s.last_run_duration_ms)
           IS DISTINCT FROM (r.total, r.completed, r.failed, r.completed_at, r.status, r.duration_ms);
    -- The rules of the recounted columns, added NOT VALID while they held the seed's counts (scheduler_kit/adoption.py
    -- STATISTICS_RULES), now hold: validated, and a NOT NULL's stand-in becomes the NOT NULL.
    FOR rule IN SELECT k.conname::text AS name, a.attname::text AS column_name
                  FROM pg_catalog.pg_constraint k
                  LEFT JOIN pg_catalog.pg_attribute a
                    ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1] AND k.conname = 'job_schedules_' || a.attname || '_not_null'
                 WHERE k.conrelid = 'public.job_schedules'::regclass AND k.contype = 'c' AND NOT k.convalidated LOOP
      IF rule.column_name IS NULL THEN
        EXECUTE pg_catalog.format('ALTER TABLE public.job_schedules VALIDATE CONSTRAINT %I', rule.name);
      ELSE
        EXECUTE pg_catalog.format('ALTER TABLE public.job_schedules ALTER COLUMN %I SET NOT NULL, DROP CONSTRAINT %I',
                                  rule.column_name, rule.name);
      END IF;
    END LOOP;
  END IF;
  EXECUTE pg_catalog.format('COMMENT ON TABLE public.job_execution_rollups IS %L',
    'scheduler-kit: the statistics (job counters, last_run_*, these rollups) are kept by the kit''s statistics '
    'trigger since ' || pg_catalog.now()::text);
END
$take_over$;
