"""`make bench`, policy part: how many random access cases per second the policy tests check (each case: verify a
token, switch role in a savepoint, run the statement, classify, roll back)."""

from __future__ import annotations

import os
import random
import time

import psycopg

from scheduler_kit.gateway import Gateway
from tests.policy.harness import VARIANTS, load_matrix, run, seed, statement, token_for
from tests.support.cluster import Cluster
from tests.support.model_db import model_database
from tests.support.tokens import TokenFactory

CASES = int(os.environ.get("BENCH_ACCESS_CASES", "3000"))


def main() -> None:
    cells = load_matrix()
    tokens = TokenFactory()
    gateway = Gateway(tokens.gateway_config())
    rng = random.Random(7)
    with model_database(Cluster.start()) as dsn, psycopg.connect(dsn) as conn:
        conn.execute("BEGIN")
        seed(conn)
        wrong = 0
        start = time.perf_counter()
        for _ in range(CASES):
            cell = rng.choice(cells)
            variant = rng.choice(VARIANTS.get(cell.actor, [""]))
            sql, params = statement(cell)
            wrong += run(conn, gateway, token_for(cell.actor, tokens, variant), sql, params) != cell.expected
        elapsed = time.perf_counter() - start
        conn.rollback()
    print(f"access bench: {CASES:,} random access cases in {elapsed:.1f} s = {CASES / elapsed:,.0f} cases/s"
          f" ({wrong} disagreed with the matrix)")


if __name__ == "__main__":
    main()
