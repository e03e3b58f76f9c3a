-- The `variant` shape's later migrations: what a real project may have added after 035 that the seed does not
-- describe. Run after 035 (and with scheduler_tables.sql's types timestamp, varchar(255), bigint).
-- - Users may read the executions they triggered by hand.
CREATE POLICY scheduled_jobs_select_own ON scheduled_jobs
  FOR SELECT TO authenticated
  USING (triggered_by_user IN (SELECT users.id FROM users WHERE users.clerk_user_id = auth.jwt() ->> 'sub'));
COMMENT ON POLICY scheduled_jobs_select_own ON scheduled_jobs IS 'Users can see the runs they triggered';

-- - A failed execution notifies the ops channel (a trigger on the history that the kit does not own).
CREATE OR REPLACE FUNCTION notify_job_failure()
RETURNS TRIGGER AS $$
BEGIN
  PERFORM pg_notify('job_failures', json_build_object('id', NEW.id, 'job', NEW.job_name)::text);
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER scheduled_jobs_notify_failure
    AFTER INSERT OR UPDATE OF status ON scheduled_jobs
    FOR EACH ROW
    WHEN (NEW.status = 'failed')
    EXECUTE FUNCTION notify_job_failure();

-- - The statistics function got a window in days (the seed's one-argument call still works through the default),
--   and the history page explicit columns.
DROP FUNCTION get_job_execution_stats(text);
CREATE FUNCTION get_job_execution_stats(p_job_name TEXT, p_days INTEGER DEFAULT 30)
RETURNS TABLE (
  job_name text,
  total_executions bigint,
  completed bigint,
  failed bigint,
  running bigint,
  success_rate numeric,
  avg_duration_ms numeric,
  max_duration_ms bigint,
  last_started_at timestamp
) AS $$
  SELECT j.job_name::text,
         count(*),
         count(*) FILTER (WHERE j.status = 'completed'),
         count(*) FILTER (WHERE j.status = 'failed'),
         count(*) FILTER (WHERE j.status = 'running'),
         round(count(*) FILTER (WHERE j.status = 'completed')::numeric
               / nullif(count(*) FILTER (WHERE j.status IN ('completed', 'failed')), 0), 4),
         round(avg(j.duration_ms), 1),
         max(j.duration_ms)::bigint,
         max(j.started_at)::timestamp
    FROM scheduled_jobs AS j
   WHERE j.job_name = p_job_name AND j.started_at >= now() - make_interval(days => p_days)
   GROUP BY j.job_name;
$$ LANGUAGE sql STABLE;
GRANT EXECUTE ON FUNCTION get_job_execution_stats TO authenticated;

DROP FUNCTION get_job_execution_history(text, integer, integer);
CREATE FUNCTION get_job_execution_history(p_job_name TEXT, p_limit INTEGER DEFAULT 50, p_offset INTEGER DEFAULT 0)
RETURNS TABLE (
  id uuid,
  job_name varchar,
  status text,
  started_at timestamp,
  completed_at timestamp,
  duration_ms bigint,
  error_message text
) AS $$
BEGIN
  RETURN QUERY
    SELECT j.id, j.job_name, j.status, j.started_at, j.completed_at, j.duration_ms, j.error_message
      FROM scheduled_jobs AS j
     WHERE j.job_name = p_job_name
     ORDER BY j.started_at DESC
     LIMIT p_limit OFFSET p_offset;
END;
$$ LANGUAGE plpgsql STABLE;
GRANT EXECUTE ON FUNCTION get_job_execution_history TO authenticated;

-- - Manual runs name the user who triggered them.
ALTER TABLE scheduled_jobs
  ADD CONSTRAINT scheduled_jobs_triggered_by_user_fkey FOREIGN KEY (triggered_by_user) REFERENCES users (id)
  ON DELETE SET NULL;
