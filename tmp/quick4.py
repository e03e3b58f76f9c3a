import sys
sys.argv += []
exec(open('tmp/quick3.py').read().split("res = {}")[0])
ALL = TRIGS['proto']
def setmode(mode):
    with psycopg.connect(f"{base}/proto", autocommit=True) as c:
        for t in ALL:
            on = mode == 'all' or (mode == 'insert' and t == 'trigger_update_job_stats')
            c.execute(f"ALTER TABLE public.scheduled_jobs {'ENABLE' if on else 'DISABLE'} TRIGGER {t}")
res = {}
for _ in range(3):
    for mode in ('all', 'insert', 'none'):
        setmode(mode); c, w = write('proto', 2000); r = res.setdefault(mode, [0,0]); r[0]+=c; r[1]+=w
for m, (c, w) in res.items(): print(m, "cpu/exec %.0f us  wall/exec %.0f us" % (c/6000*1e6, w/6000*1e6))
setmode('all')
