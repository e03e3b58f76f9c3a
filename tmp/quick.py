import os, time, psycopg, sys
dsn = sys.argv[1]
def write(n, job='a'):
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("SET synchronous_commit = off"); c.execute("SET ROLE service_role")
        t=time.perf_counter()
        for _ in range(n):
            (i,) = c.execute("INSERT INTO public.scheduled_jobs (job_name) VALUES (%s) RETURNING id",(job,)).fetchone()
            c.execute("UPDATE public.scheduled_jobs SET status='completed', completed_at=now(), duration_ms=5 WHERE id=%s",(i,))
        return time.perf_counter()-t
def trig(on):
    with psycopg.connect(dsn, autocommit=True) as c:
        for t in ("trigger_update_job_stats","trigger_update_job_stats_on_update","trigger_update_job_stats_on_delete"):
            c.execute(f"ALTER TABLE public.scheduled_jobs {'ENABLE' if on else 'DISABLE'} TRIGGER {t}")
write(300)
tot={True:0,False:0}
for _ in range(4):
    for on in (True, False):
        trig(on); tot[on]+=write(1000)
trig(True)
print("on/off", tot[True]/tot[False], tot)
def bulk(n):
    with psycopg.connect(dsn) as c:
        t=time.perf_counter()
        c.execute("""INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at, duration_ms)
          SELECT 'a', 'completed', now() - i*interval '1 second', now() - i*interval '1 second' + interval '1 second', i %% 3000 FROM generate_series(1,%s) i""",(n,))
        d=time.perf_counter()-t; c.rollback(); return d
for n in (4000,16000,4000,16000): print(n, bulk(n))
