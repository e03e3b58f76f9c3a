"""Committed requests of random callers, one after another, down a pool of two authenticator connections, each its
own transaction as PostgREST opens it (READ ONLY for reads; role and claims set local), reads and writes
interleaved: every outcome is the matrix's, whoever used the connection before. What a request leaves behind on
its connection (a session setting, a temporary table, a cached answer) reaches the next caller here; in the
rolled-back tests it never could. The rows the requests write are this run's own and are deleted at the end by the
service's own requests (tests/policy/pool.py)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.policy.harness import VARIANTS, load_matrix, token_for
from tests.policy.pool import POOLED_OPERATIONS, seeded_pool
from tests.support.profile import hypothesis_profile

POOLED_CASES = {"ci": 40, "debug": 5, "mutants": 15}.get(hypothesis_profile(), 25)


@pytest.fixture(scope="module")
def pool(actor_dsn, gateway, tokens):
    with seeded_pool(actor_dsn, gateway, tokens) as pool:
        yield pool


def _cells(policy_target):
    return [c for c in load_matrix(policy_target) if c.operation in POOLED_OPERATIONS]


def _reads(cells, actor):
    return [c for c in cells if c.actor == actor and (c.operation == "SELECT" or
                                                      (c.kind == "function" and c.object != "purge_job_execution_history"))]


def test_every_caller_after_every_other_on_one_connection(pool, tokens, policy_target):
    """Each ordered pair of actors: the first one's committed request, then every read of the second, on the same
    connection. A grant of the first caller that outlives its request shows in the second's reads."""
    cells = _cells(policy_target)
    actors = sorted({c.actor for c in cells})
    wrong = []
    for first, second in itertools.product(actors, actors):
        before = _reads(cells, first)[0]
        got = pool.send(before, token_for(first, tokens), on=0)
        if got != before.expected:
            wrong.append(f"{before.label}: expected {before.expected}, got {got}")
        for cell in _reads(cells, second):
            got = pool.send(cell, token_for(second, tokens), on=0)
            if got != cell.expected:
                wrong.append(f"{cell.label} right after a committed request of {first} on the same connection: "
                             f"expected {cell.expected}, got {got}")
    assert not wrong, "\n".join(wrong)


@settings(max_examples=POOLED_CASES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_random_committed_requests_down_a_pool_follow_the_matrix(pool, tokens, policy_target, data):
    cells = _cells(policy_target)
    actors = sorted({c.actor for c in cells})
    wrong = []
    for _ in range(data.draw(st.integers(2, 6), label="requests")):
        actor = data.draw(st.sampled_from(actors), label="actor")
        mine = [c for c in cells if c.actor == actor]
        cell = data.draw(st.sampled_from(_reads(cells, actor)) | st.sampled_from(mine), label="cell")
        variant = data.draw(st.sampled_from(VARIANTS[actor]), label="token shape")
        on = data.draw(st.integers(0, pool.size - 1), label="connection")
        got = pool.send(cell, token_for(actor, tokens, variant), on=on)
        if got != cell.expected:
            wrong.append(f"{cell.label} ({variant}) on connection {on}: expected {cell.expected}, got {got}")
    assert not wrong, "\n".join(wrong)


def test_the_service_removes_what_the_requests_wrote(pool):
    """The clean-up goes through the service's own requests (nothing bypasses what is tested) and leaves none of
    this run's rows; the next test run seeds them again."""
    assert pool.clean_up() == []
    pool.seed()
