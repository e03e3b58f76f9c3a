INSERT INTO public.scheduled_jobs (job_name) VALUES ('a') RETURNING '''' || id || '''' AS eid \gset
UPDATE public.scheduled_jobs SET status = 'completed', completed_at = now(), duration_ms = 5 WHERE id = :eid::uuid;
