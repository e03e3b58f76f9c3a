-- The scheduler's tables, trigger and helper functions as the application's earlier migrations wrote them by hand
-- from the seed's text (../shared/seeds/000_*.txt): the seed's columns with the types such a migration picks
-- (integer counters, a nullable cron_expression, a status without a default or CHECK, no created_at/updated_at on
-- the history), the seed's statistics trigger (which counts an execution again on every later write of it), and the
-- two helper functions with the seed's signatures, without a pinned search_path. Run as the role that runs the
-- project's migrations (`postgres`), with search_path public as a migration tool leaves it.
-- {{timestamp}}, {{name}} and {{duration}} are the column types; the `base` shape is timestamptz, text, integer
-- (tests/adoption/legacy_db.py, SHAPES).
CREATE TABLE IF NOT EXISTS job_schedules (
  id                   UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  job_name             {{name}} NOT NULL UNIQUE,
  display_name         TEXT,
  description          TEXT,
  cron_expression      TEXT,
  enabled              BOOLEAN DEFAULT true,
  service              TEXT NOT NULL,
  endpoint             TEXT NOT NULL,
  config               JSONB DEFAULT '{}'::jsonb,
  total_runs           INTEGER DEFAULT 0,
  successful_runs      INTEGER DEFAULT 0,
  failed_runs          INTEGER DEFAULT 0,
  last_run_at          {{timestamp}},
  last_run_status      TEXT,
  last_run_duration_ms {{duration}},
  created_at           {{timestamp}} DEFAULT NOW(),
  updated_at           {{timestamp}} DEFAULT NOW()
);
CREATE INDEX IF NOT EXISTS idx_job_schedules_enabled ON job_schedules (enabled);

CREATE TABLE IF NOT EXISTS scheduled_jobs (
  id                UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  job_name          {{name}} NOT NULL,
  job_type          TEXT,
  status            TEXT NOT NULL,
  started_at        {{timestamp}} NOT NULL DEFAULT NOW(),
  completed_at      {{timestamp}},
  duration_ms       {{duration}},
  items_processed   INTEGER DEFAULT 0,
  items_succeeded   INTEGER DEFAULT 0,
  items_failed      INTEGER DEFAULT 0,
  error_message     TEXT,
  triggered_by      TEXT DEFAULT 'scheduler',
  triggered_by_user UUID,
  metadata          JSONB DEFAULT '{}'::jsonb
);
CREATE INDEX IF NOT EXISTS idx_scheduled_jobs_job_name ON scheduled_jobs (job_name);
CREATE INDEX IF NOT EXISTS idx_scheduled_jobs_status ON scheduled_jobs (status);
CREATE INDEX IF NOT EXISTS idx_scheduled_jobs_started_at ON scheduled_jobs (started_at DESC);

-- The seed: "Trigger fires and updates job_schedules: last_run_at = execution completed time, last_run_status,
-- last_run_duration_ms, total_runs += 1, successful_runs or failed_runs += 1", on every INSERT or UPDATE whose
-- NEW.status is completed or failed.
CREATE OR REPLACE FUNCTION update_job_schedule_stats()
RETURNS TRIGGER AS $$
BEGIN
  UPDATE job_schedules
     SET last_run_at = NEW.completed_at,
         last_run_status = NEW.status,
         last_run_duration_ms = NEW.duration_ms,
         total_runs = total_runs + 1,
         successful_runs = successful_runs + CASE WHEN NEW.status = 'completed' THEN 1 ELSE 0 END,
         failed_runs = failed_runs + CASE WHEN NEW.status = 'failed' THEN 1 ELSE 0 END,
         updated_at = NOW()
   WHERE job_name = NEW.job_name;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER trigger_update_job_stats
    AFTER INSERT OR UPDATE ON scheduled_jobs
    FOR EACH ROW
    WHEN (NEW.status IN ('completed', 'failed'))
    EXECUTE FUNCTION update_job_schedule_stats();

-- "SELECT * FROM get_job_execution_history('weekly-digest', 20, 0)": a page of one job's executions.
CREATE OR REPLACE FUNCTION get_job_execution_history(p_job_name TEXT, p_limit INTEGER DEFAULT 50,
                                                     p_offset INTEGER DEFAULT 0)
RETURNS SETOF scheduled_jobs AS $$
  SELECT * FROM scheduled_jobs
   WHERE job_name = p_job_name
   ORDER BY started_at DESC
   LIMIT p_limit OFFSET p_offset;
$$ LANGUAGE sql STABLE;

-- "Get execution statistics": one job's, over its whole history.
CREATE OR REPLACE FUNCTION get_job_execution_stats(p_job_name TEXT)
RETURNS TABLE (
  job_name text,
  total_executions bigint,
  completed bigint,
  failed bigint,
  running bigint,
  success_rate numeric,
  avg_duration_ms numeric,
  p95_duration_ms double precision,
  max_duration_ms integer,
  last_started_at timestamptz
) AS $$
  SELECT j.job_name::text,
         count(*),
         count(*) FILTER (WHERE j.status = 'completed'),
         count(*) FILTER (WHERE j.status = 'failed'),
         count(*) FILTER (WHERE j.status = 'running'),
         round(count(*) FILTER (WHERE j.status = 'completed')::numeric
               / nullif(count(*) FILTER (WHERE j.status IN ('completed', 'failed')), 0), 4),
         round(avg(j.duration_ms), 1),
         percentile_cont(0.95) WITHIN GROUP (ORDER BY j.duration_ms),
         max(j.duration_ms)::integer,
         max(j.started_at)::timestamptz
    FROM scheduled_jobs AS j
   WHERE j.job_name = p_job_name
   GROUP BY j.job_name;
$$ LANGUAGE sql STABLE;
