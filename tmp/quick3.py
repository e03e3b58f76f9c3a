import time, psycopg, sys, os
base = sys.argv[1]; dbs = sys.argv[2].split(',')
TICK = os.sysconf('SC_CLK_TCK')
def cpu(pid):
    f = open(f'/proc/{pid}/stat').read().rsplit(')',1)[1].split()
    return (int(f[11]) + int(f[12])) / TICK
TRIGS = {'vara': ("trigger_update_job_stats","trigger_update_job_stats_on_update","trigger_update_job_stats_on_delete"), 'varb': ("trigger_update_job_stats","trigger_update_job_stats_on_update","trigger_update_job_stats_on_delete"), 'norollup': ("trigger_update_job_stats","trigger_update_job_stats_on_update","trigger_update_job_stats_on_delete"), 'proto': ("trigger_update_job_stats","trigger_update_job_stats_on_update","trigger_update_job_stats_on_delete"), 'old': ("trigger_update_job_stats",)}
def trig(db, on):
    with psycopg.connect(f"{base}/{db}", autocommit=True) as c:
        for t in TRIGS[db]:
            c.execute(f"ALTER TABLE public.scheduled_jobs {'ENABLE' if on else 'DISABLE'} TRIGGER {t}")
def write(db, n):
    with psycopg.connect(f"{base}/{db}", autocommit=True) as c:
        c.execute("SET synchronous_commit = off"); c.execute("SET ROLE service_role")
        pid = c.execute("SELECT pg_backend_pid()").fetchone()[0]
        for _ in range(100):
            (i,) = c.execute("INSERT INTO public.scheduled_jobs (job_name) VALUES ('a') RETURNING id").fetchone()
            c.execute("UPDATE public.scheduled_jobs SET status='completed', completed_at=now(), duration_ms=5 WHERE id=%s",(i,))
        c0 = cpu(pid); t0 = time.perf_counter()
        for _ in range(n):
            (i,) = c.execute("INSERT INTO public.scheduled_jobs (job_name) VALUES ('a') RETURNING id").fetchone()
            c.execute("UPDATE public.scheduled_jobs SET status='completed', completed_at=now(), duration_ms=5 WHERE id=%s",(i,))
        return cpu(pid) - c0, time.perf_counter() - t0
res = {}
for _ in range(int(sys.argv[3]) if len(sys.argv) > 3 else 3):
    for db in dbs:
        for on in (True, False):
            trig(db, on); c, w = write(db, 2000)
            r = res.setdefault((db, on), [0, 0]); r[0] += c; r[1] += w
for db in dbs:
    print(db, "cpu on/off %.2f  wall on/off %.2f" % (res[(db,True)][0]/res[(db,False)][0], res[(db,True)][1]/res[(db,False)][1]), res[(db,True)], res[(db,False)])
for db in dbs: trig(db, True)
