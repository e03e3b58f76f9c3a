"""Adoption at scale: the users' database (tests/adoption/legacy_db.py, the seed's migration 035 with its history
written through the seed's trigger) at BENCH_ROWS executions, then the first `pulumi preview` and `pulumi up` of a
stack pointed at it, each timed, and what the adopted database then holds (history kept, counters equal to the
history, statistics equal to an exact computation, a no-change preview).

Run: `. toolchain/env.sh && BENCH_ROWS=1000000 .venv/bin/python -m bench.adoption_bench`
Settings: BENCH_ROWS (default 1,000,000), BENCH_PROFILE (supabase, the default, or postgres), BENCH_BAD_ROWS=1 (the
bed with rows that break the kit's rules: the up should then be refused), BENCH_KEEP=1 (keep the database and the
stack afterwards, to look at them; they are printed).
"""

from __future__ import annotations

import os
import sys
import time

import psycopg

from tests.adoption import legacy_db
from tests.adoption.engine_runs import EngineRun, legacy_stack, run_engine
from tests.support.cluster import Cluster
from tests.support.exact_stats import stats_mismatches

ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
PROFILE = os.environ.get("BENCH_PROFILE", "supabase")
BAD_ROWS = os.environ.get("BENCH_BAD_ROWS", "") == "1"
KEEP = os.environ.get("BENCH_KEEP", "") == "1"


def report(what: str, run: EngineRun) -> None:
    print(f"{what}: {'passed' if run.ok else 'FAILED'} in {run.seconds:.1f} s", flush=True)
    if not run.ok:
        print("  " + run.errors().replace("\n", "\n  "), flush=True)


def main() -> int:
    cluster = Cluster.start(PROFILE)
    print(f"adoption bench: {ROWS:,} executions, profile {PROFILE}, {'with' if BAD_ROWS else 'without'} bad rows",
          flush=True)
    with legacy_stack(cluster, keep=KEEP, executions=ROWS, bad_rows=BAD_ROWS) as (legacy, stack):
        print(f"building the users' database: {legacy.build_seconds:.1f} s ({ROWS / legacy.build_seconds:,.0f}"
              " executions per second through the seed's trigger)", flush=True)
        with psycopg.connect(legacy.dsn) as conn:
            started = time.monotonic()
            history = legacy_db.history_fingerprint(conn)
            print(f"history fingerprint: {history[0]:,} executions in {time.monotonic() - started:.1f} s;"
                  f" {len(legacy_db.counter_mismatches(conn))} of {len(legacy_db.recount(conn))} jobs' counters"
                  " differ from their history", flush=True)
        preview = run_engine(lambda: stack.preview(diff=True))
        report("first pulumi preview", preview)
        up = run_engine(stack.up)
        report("adopting pulumi up", up)
        if up.ok:
            with psycopg.connect(legacy.dsn) as conn:
                kept = legacy_db.history_fingerprint(conn) == history
                mismatched = legacy_db.counter_mismatches(conn)
                conn.execute("SET ROLE service_role")
                started = time.monotonic()
                try:
                    statistics = stats_mismatches(conn, None, None)
                except psycopg.Error as error:
                    statistics = [str(error).strip().splitlines()[0]]
                    conn.rollback()
                exact_seconds = time.monotonic() - started
            print(f"after the up: history kept {kept}; {len(mismatched)} jobs' counters differ from their history;"
                  f" statistics vs exact computation: {len(statistics)} differences ({exact_seconds:.1f} s)"
                  + (f", first: {statistics[0]}" if statistics else ""), flush=True)
            report("next pulumi preview (expect no changes)",
                   run_engine(lambda: stack.preview(expect_no_changes=True)))
        if KEEP:
            print(f"kept: database {legacy.name}, stack {stack.stack.name}")
    return 0 if up.ok != BAD_ROWS else 1


if __name__ == "__main__":
    sys.exit(main())
