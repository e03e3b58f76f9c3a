"""The deploy-stop upgrade test's loss check (tests/support/outcomes.py): a privilege or a session outcome that both
ends of an upgrade allow, missing at one step, is reported even when a later step puts it back."""

from tests.support.outcomes import losses

BOTH = {"acl": {"table public.job_schedules": {("service_role", "SELECT"), ("authenticated", "SELECT")}},
        "sessions": {"admin:job_schedules:SELECT": "rows", "anon:job_schedules:SELECT": "denied"}}


def test_a_moment_without_a_privilege_both_ends_grant_is_a_loss():
    moment = {"acl": {"table public.job_schedules": {("authenticated", "SELECT")}},
              "sessions": {"admin:job_schedules:SELECT": "denied", "anon:job_schedules:SELECT": "denied"}}
    assert losses(moment, BOTH, BOTH) == [
        "table public.job_schedules: service_role SELECT taken away",
        "session admin:job_schedules:SELECT: denied (before rows, finally rows)"]


def test_what_only_one_end_allows_may_go_and_more_is_not_a_loss():
    narrowed = {"acl": {"table public.job_schedules": {("authenticated", "SELECT")}},
                "sessions": {"admin:job_schedules:SELECT": "denied", "anon:job_schedules:SELECT": "denied"}}
    wider = {"acl": {"table public.job_schedules": {("service_role", "SELECT"), ("authenticated", "SELECT"),
                                                    ("anon", "SELECT")}},
             "sessions": {"admin:job_schedules:SELECT": "rows", "anon:job_schedules:SELECT": "rows"}}
    assert losses(narrowed, BOTH, narrowed) == []  # the upgrade takes it away on purpose
    assert losses(wider, BOTH, BOTH) == []  # more is the exposure check's business
    assert losses(BOTH, BOTH, BOTH) == []
