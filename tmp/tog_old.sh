psql "$1" -qc "ALTER TABLE public.scheduled_jobs $2 TRIGGER trigger_update_job_stats"
