"""`make mutants`: each mutant of tests/mutants/catalogue.yaml in a fresh database, the policy tests against it.

Prints each mutant with killed or survived and the kill rate; exits 1 if any mutant survived (or the unmutated
model itself fails the tests, which would make every kill meaningless)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import yaml

from scheduler_kit.export_sql import build
from tests.support.cluster import Cluster
from tests.support.toolchain import ROOT

CATALOGUE = Path(__file__).with_name("catalogue.yaml")


def mutated_model(mutant: dict) -> str:
    text = build("postgres", protect_history=False)
    for old, new in mutant.get("replace", []):
        if old not in text:
            raise SystemExit(f"mutant {mutant['name']}: {old[:60]!r}... no longer occurs in the model; update the catalogue")
        text = text.replace(old, new)
    return text + "\n" + mutant.get("sql", "")


def run_policy_tests(cluster: Cluster, mutant: dict) -> tuple[int, float]:
    database = cluster.create_database("schedkit_mutant")
    try:
        with psycopg.connect(cluster.dsn_for(database), autocommit=True) as conn:
            conn.execute(mutated_model(mutant))
        env = {**os.environ, "POLICY_TEST_DSN": cluster.dsn_for(database), "HYPOTHESIS_PROFILE": "mutants"}
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "tests/policy"],
                                cwd=ROOT, env=env, capture_output=True, text=True)
        return result.returncode, time.perf_counter() - start
    finally:
        cluster.drop_database(database)


def main() -> int:
    mutants = yaml.safe_load(CATALOGUE.read_text())["mutants"]
    cluster = Cluster.start()
    code, seconds = run_policy_tests(cluster, {"name": "none"})
    print(f"baseline (no mutant): {'passes' if code == 0 else 'FAILS'} ({seconds:.0f} s)")
    if code != 0:
        print("the policy tests fail on the unmutated model; fix that first")
        return 1
    survivors = []
    for mutant in mutants:
        code, seconds = run_policy_tests(cluster, mutant)
        verdict = "killed" if code == 1 else ("SURVIVED" if code == 0 else f"ERROR (pytest exit {code})")
        if code != 1:
            survivors.append(mutant["name"])
        print(f"  {mutant['name']:<30} {verdict:<9} {seconds:5.0f} s  {mutant['description']}")
    killed = len(mutants) - len(survivors)
    print(f"mutants: {killed} of {len(mutants)} killed ({100 * killed / len(mutants):.0f}%)")
    return 1 if survivors else 0


if __name__ == "__main__":
    raise SystemExit(main())
