import time, psycopg, sys
dsn = sys.argv[1]
def trig(on, names=("trigger_update_job_stats","trigger_update_job_stats_on_update","trigger_update_job_stats_on_delete")):
    with psycopg.connect(dsn, autocommit=True) as c:
        for t in names:
            c.execute(f"ALTER TABLE public.scheduled_jobs {'ENABLE' if on else 'DISABLE'} TRIGGER {t}")
def run(n):
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("SET synchronous_commit = off"); c.execute("SET ROLE service_role")
        ti=tu=0
        for _ in range(n):
            t=time.perf_counter()
            (i,) = c.execute("INSERT INTO public.scheduled_jobs (job_name) VALUES ('a') RETURNING id").fetchone()
            t2=time.perf_counter()
            c.execute("UPDATE public.scheduled_jobs SET status='completed', completed_at=now(), duration_ms=5 WHERE id=%s",(i,))
            t3=time.perf_counter(); ti+=t2-t; tu+=t3-t2
        return ti, tu
run(200)
res={}
for _ in range(3):
    for on in (True, False):
        trig(on); a,b=run(1000); res.setdefault(on,[0,0]); res[on][0]+=a; res[on][1]+=b
trig(True)
print("insert on/off %.2f  update on/off %.2f" % (res[True][0]/res[False][0], res[True][1]/res[False][1]), res)
