P=$1; on=$2
for t in trigger_update_job_stats trigger_update_job_stats_on_update trigger_update_job_stats_on_delete; do psql "$P" -qc "ALTER TABLE public.scheduled_jobs $on TRIGGER $t"; done
