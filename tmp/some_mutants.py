import sys, yaml
from tests.mutants.run import CATALOGUE, run_policy_tests
from tests.support.cluster import Cluster
names = sys.argv[1:]
cluster = Cluster.start()
for m in yaml.safe_load(CATALOGUE.read_text())["mutants"] + [{"name": "none", "description": "baseline"}]:
    if m["name"] in names:
        code, seconds = run_policy_tests(cluster, m)
        print(m["name"], {0: "SURVIVED", 1: "killed"}.get(code, f"ERROR {code}"), f"{seconds:.0f}s", flush=True)
