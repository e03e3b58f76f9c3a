"""`make bench`, policy part: how many random access cases per second the policy tests check (each case: verify a
token, switch role in a savepoint, run the statement, classify, roll back)."""

from __future__ import annotations

import os
import random
import time

import psycopg
from psycopg.conninfo import conninfo_to_dict

from scheduler_kit.gateway import Gateway
from tests.policy.harness import VARIANTS, expected_count, load_matrix, run, seed, statement, token_for, totals
from tests.support.cluster import Cluster
from tests.support.model_db import model_database
from tests.support.tokens import TokenFactory

CASES = int(os.environ.get("BENCH_ACCESS_CASES", "3000"))


def main(cases: int = CASES) -> int:
    """Prints the rate; returns how many cases disagreed with the matrix."""
    cluster = Cluster.start()
    cells = load_matrix(cluster.target)
    tokens = TokenFactory()
    gateway = Gateway(tokens.gateway_config())
    rng = random.Random(7)
    with model_database(cluster) as dsn:
        # As the policy tests do: logged in as authenticator, each case switching role like PostgREST.
        actor_dsn = cluster.actor_dsn_for(conninfo_to_dict(dsn)["dbname"])
        with psycopg.connect(actor_dsn) as conn:
            conn.execute("BEGIN")
            seed(conn)
            known = totals(conn)
            wrong = 0
            start = time.perf_counter()
            for _ in range(cases):
                cell = rng.choice(cells)
                variant = rng.choice(VARIANTS.get(cell.actor, [""]))
                sql, params = statement(cell, known)
                outcome = run(conn, gateway, token_for(cell.actor, tokens, variant), sql, params,
                              expected_rows=expected_count(cell, known), function=cell.kind == "function")
                wrong += outcome != cell.expected
            elapsed = time.perf_counter() - start
            conn.rollback()
    print(f"access bench: {cases:,} random access cases in {elapsed:.1f} s = {cases / elapsed:,.0f} cases/s"
          f" ({wrong} disagreed with the matrix)")
    return wrong


if __name__ == "__main__":
    raise SystemExit(1 if main() else 0)
