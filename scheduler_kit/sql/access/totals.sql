-- What the case wrote, as the service sees it (see probe.Totals): confined to its own jobs and users.
SELECT (SELECT count(*) FROM public.job_schedules WHERE job_name = ANY(%(jobs)s)),
       (SELECT count(*) FROM public.scheduled_jobs WHERE job_name = ANY(%(jobs)s)),
       (SELECT count(*) FROM public.users WHERE clerk_user_id = ANY(%(users)s)),
       (SELECT count(*) FROM public.job_execution_rollups WHERE job_name = ANY(%(jobs)s)),
       (SELECT array_agg(DISTINCT job_name) FROM public.scheduled_jobs WHERE job_name = ANY(%(jobs)s))
