"""What the policy tests share: the matrix as data, actors as tokens, the seeded rows, statements, outcomes.

The code moved into the kit, scheduler_kit/access/ (cells, actors, probe), because `make matrix` and `make review`
run the same cells the same way; the names stay importable from here.

Actors connect the way PostgREST does: logged in as `authenticator` (NOINHERIT, not a superuser), each statement in
a savepoint that first takes the token's role with SET LOCAL ROLE and its claims in `request.jwt.claims`. Every case
is rolled back, inside a transaction that is rolled back too, so the tests leave nothing behind, which is what lets
them audit a live database (POLICY_TEST_DSN)."""

from __future__ import annotations

from scheduler_kit.access.actors import (  # noqa: F401
    ACTOR_TOKENS, ADMIN_SUB, BAD_TOKENS, NUMERIC_ADMIN_ID, REGULAR_SUB, VARIANTS, token_for)
from scheduler_kit.access.cells import MATRIX_PATH, OUTCOMES, Cell, load_matrix  # noqa: F401
from scheduler_kit.access.probe import (  # noqa: F401
    INVALID, JOB, SEED, SEED_JOBS, SEED_USERS, Totals, as_service, expected_count, outcome_of, run, seed,
    statement, totals)
