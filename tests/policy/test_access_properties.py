"""Random access cases against the matrix. What varies is what can change an outcome: the actor and its token's
shape (every variant of every actor, plus random extra claims such as user_metadata or app_metadata), and the rows
in both tables and in the admin lookup table (random jobs enabled, disabled or retired; random executions in every
status, of scheduled and unscheduled jobs, with random metadata; random users). Statements leave every value as it
is, so a constraint never decides a case. Each case is rolled back.

It finds what the fixed data of the exhaustive test cannot: the `user-metadata-makes-admins` mutant (an admin check
that also trusts `user_metadata.role`, which a Supabase user can write themselves) passes the exhaustive test and is
killed here (see tests/mutants/catalogue.yaml)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st
from psycopg.types.json import Jsonb

from tests.policy.harness import (ACTOR_TOKENS, ADMIN_SUB, JOB, REGULAR_SUB, as_service, expected_count, load_matrix, run,
                                  statement, totals)
from tests.support.profile import hypothesis_profile
from tests.support.tokens import LEAVE_OUT

ACCESS_CASES = {"ci": 1_000, "debug": 50, "mutants": 300}.get(hypothesis_profile(), 300)

names = st.from_regex(r"rnd-[a-z0-9]{1,8}", fullmatch=True)
small_text = st.text(alphabet="abcxyz _-'\"", max_size=8)
json_leaf = st.none() | st.booleans() | st.integers(-5, 5) | small_text | st.sampled_from(["admin", "service_role"])
json_values = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.sampled_from(["role", "public", "admin", "x"]), inner, max_size=3),
                           max_leaves=6)
# Claims a token may carry besides the ones that make the actor (never role, sub, exp, nbf, iat or aud): metadata
# objects that name a role (Supabase puts user_metadata, which users edit themselves, and app_metadata in its tokens)
# and other claims an admin check must not trust.
role_objects = st.fixed_dictionaries({"role": st.sampled_from(["admin", "user", "service_role"])},
                                     optional={"is_admin": st.booleans(), "x": json_values})
extra_claims = st.dictionaries(
    st.sampled_from(["user_metadata", "app_metadata", "is_admin", "admin", "groups", "email", "session_id"]),
    role_objects | json_values, max_size=3)

# Actors whose tokens can carry extra claims: the verified ones. (Rejected and refused tokens stay as they are.)
WITH_CLAIMS = {
    "service": lambda t, extra: t.service(**extra),
    "admin": lambda t, extra: t.user(ADMIN_SUB, **extra),
    "regular": lambda t, extra: t.user(REGULAR_SUB, **extra),
    "unknown_sub": lambda t, extra: t.user("matrix_deleted_user", **extra),
    "anon": lambda t, extra: t.user(ADMIN_SUB, role=LEAVE_OUT, **extra),
}

jobs = st.lists(st.tuples(names, st.booleans(), st.booleans()), max_size=3)  # name, enabled, retired
executions = st.lists(st.tuples(st.sampled_from([JOB, "matrix-retired", "matrix-unscheduled"]) | names,
                                st.sampled_from(["running", "completed", "failed"]), st.integers(0, 10**6),
                                st.dictionaries(st.sampled_from(["public", "role", "admin"]), json_values, max_size=2)),
                      max_size=4)
users = st.lists(st.tuples(st.sampled_from(["matrix_deleted_user", REGULAR_SUB.upper(), ADMIN_SUB.upper(), " "])
                           | names, st.sampled_from(["user", "viewer", "Admin", "admin "])), max_size=2)


def add_rows(conn, new_jobs, new_executions, new_users):
    for name, enabled, retired in new_jobs:
        as_service(conn, "INSERT INTO public.job_schedules (job_name, cron_expression, service, endpoint, enabled, retired_at)"
                         " VALUES (%s, '* * * * *', 'svc', '/x', %s, CASE WHEN %s THEN now() END) ON CONFLICT DO NOTHING",
                   (name, enabled and not retired, retired))
    for job_name, status, ms, metadata in new_executions:
        as_service(conn, "INSERT INTO public.scheduled_jobs (job_name, status, started_at, completed_at, duration_ms, metadata)"
                         " VALUES (%s, %s, now() - interval '1 hour', CASE WHEN %s <> 'running' THEN now() END, %s, %s)",
                   (job_name, status, status, ms, Jsonb(metadata)))
    for clerk_id, role in new_users:
        as_service(conn, "INSERT INTO public.users (clerk_user_id, role) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                   (clerk_id, role))


def reads(cells, actor):
    """The actor's reading cells: where a leak shows, so every case checks them."""
    return [c for c in cells if c.actor == actor and c.operation in ("SELECT", "EXECUTE")]


@settings(max_examples=ACCESS_CASES, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
          deadline=None)
@given(data=st.data(), new_jobs=jobs, new_executions=executions, new_users=users)
def test_random_access_cases_follow_the_matrix(seeded, gateway, tokens, policy_target, data, new_jobs, new_executions,
                                              new_users):
    cells = load_matrix(policy_target)
    actor = data.draw(st.sampled_from(sorted({c.actor for c in cells})), label="actor")
    shapes = ACTOR_TOKENS[actor]
    if actor in WITH_CLAIMS and data.draw(st.integers(0, 3), label="extra claims?") > 0:
        extra = data.draw(extra_claims, label="claims")
        token = WITH_CLAIMS[actor](tokens, extra)
        shape = f"with extra claims {extra}"
    else:
        shape = data.draw(st.sampled_from(sorted(shapes)), label="token shape")
        token = shapes[shape](tokens)
    # Every read of the actor, and one more cell of its drawn at random.
    chosen = [*reads(cells, actor), data.draw(st.sampled_from([c for c in cells if c.actor == actor]), label="cell")]
    wrong = []
    with seeded.transaction(force_rollback=True):
        add_rows(seeded, new_jobs, new_executions, new_users)
        known = totals(seeded, jobs=[name for name, *_ in new_jobs] + [job for job, *_ in new_executions],
                       users=[clerk_id for clerk_id, _ in new_users])
        for cell in chosen:
            sql, params = statement(cell, known)
            outcome = run(seeded, gateway, token, sql, params, expected_rows=expected_count(cell, known),
                          function=cell.kind == "function")
            if outcome != cell.expected:
                wrong.append(f"{cell.label} ({shape}): expected {cell.expected}, got {outcome}")
    assert not wrong, "\n".join(wrong)
