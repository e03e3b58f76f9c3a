INSERT INTO public.scheduled_jobs (job_name) VALUES ('a');
