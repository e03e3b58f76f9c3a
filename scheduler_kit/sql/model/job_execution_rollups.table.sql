-- Per job and per UTC day (of started_at): the finished executions' counts and durations, kept by the statistics
-- trigger in the same transaction as the history it summarizes, so get_job_execution_stats reads one row per job and
-- day instead of every execution. Running executions are not here (the statistics read the few of them from the
-- history). Deleting history takes its executions out again: the rollups always describe the history as it is.
-- Derived data: rebuilt from the history when the table is created (see trigger_update_job_stats).
CREATE TABLE IF NOT EXISTS public.job_execution_rollups (
  job_name           text NOT NULL,
  day                date NOT NULL,
  completed          bigint NOT NULL DEFAULT 0,
  failed             bigint NOT NULL DEFAULT 0,
  duration_count     bigint NOT NULL DEFAULT 0,
  duration_sum       bigint NOT NULL DEFAULT 0,
  duration_max       integer,
  -- Executions per duration bucket (scheduler_private.duration_bucket), sparse: indexed by bucket, NULL counts 0.
  duration_histogram integer[],
  PRIMARY KEY (job_name, day)
) WITH (fillfactor = 70);
-- Room on each page so the trigger's updates of a day's row stay HOT (they change no indexed column).
ALTER TABLE public.job_execution_rollups SET (fillfactor = 70);

ALTER TABLE public.job_execution_rollups
  DROP CONSTRAINT IF EXISTS job_execution_rollups_counts_non_negative,
  ADD CONSTRAINT job_execution_rollups_counts_non_negative
    CHECK (completed >= 0 AND failed >= 0 AND duration_count >= 0 AND duration_sum >= 0);
