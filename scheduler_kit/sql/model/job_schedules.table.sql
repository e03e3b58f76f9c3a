-- One row per job: its definition (from jobs.yaml, or registered by a service) and its run statistics, which only
-- the statistics trigger writes. Idempotent: an existing table is adopted and brought to this shape; to change a
-- column later, append an ALTER ... IF NOT EXISTS step rather than editing the CREATE alone.
CREATE TABLE IF NOT EXISTS public.job_schedules (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  job_name             text NOT NULL,
  display_name         text,
  description          text,
  cron_expression      text NOT NULL,
  enabled              boolean NOT NULL DEFAULT true,
  service              text NOT NULL,
  endpoint             text NOT NULL,
  config               jsonb NOT NULL DEFAULT '{}'::jsonb,
  total_runs           bigint NOT NULL DEFAULT 0,
  successful_runs      bigint NOT NULL DEFAULT 0,
  failed_runs          bigint NOT NULL DEFAULT 0,
  last_run_at          timestamptz,
  last_run_status      text,
  last_run_duration_ms integer,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 70);
-- Room on each page so the trigger's statistics updates stay HOT (no index covers a statistics column).
ALTER TABLE public.job_schedules SET (fillfactor = 70);

-- Set when a job leaves jobs.yaml: the row (and its statistics) stays, disabled, so no data is lost; a job added
-- back under the same name clears it and continues its statistics. (Not in the seed; added by the kit.)
ALTER TABLE public.job_schedules ADD COLUMN IF NOT EXISTS retired_at timestamptz;

CREATE UNIQUE INDEX IF NOT EXISTS job_schedules_job_name_key ON public.job_schedules (job_name);

-- The definition columns' rules are checked by trigger_job_schedules_definition_is_valid, only when a definition is
-- written (CHECK constraints would run on every statistics update); the kit's earlier versions had them as CHECKs.
ALTER TABLE public.job_schedules
  DROP CONSTRAINT IF EXISTS job_schedules_job_name_format,
  DROP CONSTRAINT IF EXISTS job_schedules_cron_expression_valid,
  DROP CONSTRAINT IF EXISTS job_schedules_service_not_blank,
  DROP CONSTRAINT IF EXISTS job_schedules_endpoint_not_blank,
  DROP CONSTRAINT IF EXISTS job_schedules_config_is_object,
  DROP CONSTRAINT IF EXISTS job_schedules_counters_non_negative,
  ADD CONSTRAINT job_schedules_counters_non_negative
    CHECK (total_runs >= 0 AND successful_runs >= 0 AND failed_runs >= 0),
  DROP CONSTRAINT IF EXISTS job_schedules_counters_add_up,
  ADD CONSTRAINT job_schedules_counters_add_up CHECK (successful_runs + failed_runs = total_runs),
  DROP CONSTRAINT IF EXISTS job_schedules_last_run_status_check,
  ADD CONSTRAINT job_schedules_last_run_status_check
    CHECK (last_run_status IS NULL OR last_run_status IN ('completed', 'failed')),
  DROP CONSTRAINT IF EXISTS job_schedules_retired_is_disabled,
  ADD CONSTRAINT job_schedules_retired_is_disabled CHECK (retired_at IS NULL OR NOT enabled),
  DROP CONSTRAINT IF EXISTS job_schedules_last_run_duration_non_negative,
  ADD CONSTRAINT job_schedules_last_run_duration_non_negative
    CHECK (last_run_duration_ms IS NULL OR last_run_duration_ms >= 0);
