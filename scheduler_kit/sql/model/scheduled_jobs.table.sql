-- One row per execution: the audit trail. Only the service role writes it; a deploy never deletes it.
-- No foreign key to job_schedules: history outlives the definition of a job that was removed.
CREATE TABLE IF NOT EXISTS public.scheduled_jobs (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  job_name          text NOT NULL,
  job_type          text,
  status            text NOT NULL DEFAULT 'running',
  started_at        timestamptz NOT NULL DEFAULT now(),
  completed_at      timestamptz,
  duration_ms       integer,
  items_processed   integer,
  items_succeeded   integer,
  items_failed      integer,
  error_message     text,
  triggered_by      text NOT NULL DEFAULT 'scheduler',
  triggered_by_user uuid,
  metadata          jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);

-- The history page: one job's executions, newest first.
CREATE INDEX IF NOT EXISTS scheduled_jobs_job_name_started_at_idx
  ON public.scheduled_jobs (job_name, started_at DESC, id DESC);
-- Statistics over a time window across all jobs.
CREATE INDEX IF NOT EXISTS scheduled_jobs_started_at_idx ON public.scheduled_jobs (started_at);
-- Executions still running: the statistics read them from the history (the rollups hold finished ones only).
CREATE INDEX IF NOT EXISTS scheduled_jobs_running_idx
  ON public.scheduled_jobs (job_name, started_at) WHERE status = 'running';

ALTER TABLE public.scheduled_jobs
  DROP CONSTRAINT IF EXISTS scheduled_jobs_status_check,
  ADD CONSTRAINT scheduled_jobs_status_check CHECK (status IN ('running', 'completed', 'failed')),
  DROP CONSTRAINT IF EXISTS scheduled_jobs_job_name_not_blank,
  ADD CONSTRAINT scheduled_jobs_job_name_not_blank CHECK (btrim(job_name) <> ''),
  DROP CONSTRAINT IF EXISTS scheduled_jobs_completed_after_started,
  ADD CONSTRAINT scheduled_jobs_completed_after_started
    CHECK (completed_at IS NULL OR completed_at >= started_at),
  DROP CONSTRAINT IF EXISTS scheduled_jobs_finished_has_completed_at,
  ADD CONSTRAINT scheduled_jobs_finished_has_completed_at
    CHECK ((status = 'running') = (completed_at IS NULL)),
  DROP CONSTRAINT IF EXISTS scheduled_jobs_counts_non_negative,
  ADD CONSTRAINT scheduled_jobs_counts_non_negative
    CHECK (coalesce(duration_ms, 0) >= 0 AND coalesce(items_processed, 0) >= 0
           AND coalesce(items_succeeded, 0) >= 0 AND coalesce(items_failed, 0) >= 0),
  DROP CONSTRAINT IF EXISTS scheduled_jobs_metadata_is_object,
  ADD CONSTRAINT scheduled_jobs_metadata_is_object CHECK (jsonb_typeof(metadata) = 'object');
