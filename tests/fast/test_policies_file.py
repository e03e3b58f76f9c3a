import pytest

from scheduler_kit.policies import PolicyFileError, load_policies
from scheduler_kit.providers.policy import PolicyProvider

SEED_NAMES = {
    "job_schedules_select_admin_service", "job_schedules_insert_service", "job_schedules_update_admin_service",
    "job_schedules_delete_service", "scheduled_jobs_select_admin_service", "scheduled_jobs_insert_service",
    "scheduled_jobs_update_service", "scheduled_jobs_delete_service",
}
# The statistics rollups (not in the seed) get the history's four, under their own table's name.
ROLLUP_NAMES = {name.replace("scheduled_jobs", "job_execution_rollups") for name in SEED_NAMES
                if name.startswith("scheduled_jobs")}


def test_the_declared_policies_are_the_seeds_eight_and_the_rollups_four():
    policies = load_policies()
    assert {p.name for p in policies} == SEED_NAMES | ROLLUP_NAMES
    provider = PolicyProvider()
    for policy in policies:
        assert provider.validate(policy) == [], policy.name
        assert "anon" not in policy.roles and "PUBLIC" not in policy.roles
        for expression in (policy.using, policy.with_check):
            if expression and "is_admin" in expression:
                # One scalar sub-select around the whole check: an InitPlan, evaluated once per statement.
                assert expression.startswith("(select ") and expression.endswith(")"), policy.name


@pytest.mark.parametrize(
    "body, fragment",
    [
        ("job_schedules:\n  p:\n    command: SELECT\n    roles: [authenticated]\n    usign: 'true'\n", "unknown field"),
        # A table the kit does not deploy: refused before anything is registered, not at the policy's create.
        ("no_such_table:\n  p:\n    command: SELECT\n    roles: [authenticated]\n    using: 'true'\n",
         "no_such_table: not a table the kit deploys; policies go under one of job_schedules, scheduled_jobs, "
         "job_execution_rollups"),
        # The provider's own checks, with the file and the entry.
        ("job_schedules:\n  p:\n    command: INSERT\n    roles: [authenticated]\n    using: 'true'\n",
         "job_schedules.p: using: an INSERT policy takes only with_check"),
        ("job_schedules:\n  p:\n    command: SELECT\n    roles: [PUBLIC]\n    using: 'true'\n",
         "job_schedules.p: roles: a policy for PUBLIC also applies to anon; name the roles"),
        (f"job_schedules:\n  {'p' * 64}:\n    command: SELECT\n    roles: [authenticated]\n    using: 'true'\n",
         "is longer than 63 bytes, which PostgreSQL would cut; shorten it"),
        ("t:\n  p:\n    command: MERGE\n    roles: [authenticated]\n    using: 'true'\n", "command must be"),
        ("t:\n  p:\n    command: SELECT\n    roles: []\n    using: 'true'\n", "roles must be"),
        ("- just a list\n", "expected a mapping"),
        # Not YAML at all: the file's line and column, as the other problems name the file (a raw ScannerError
        # named "<unicode string>" before).
        ("t:\n  p:\n    command: : SELECT\n", "broken.yaml:3:14: not valid YAML: mapping values are not allowed here"),
        ("t:\n  p:\n    using: 'unclosed\n", "broken.yaml:4:1: not valid YAML: found unexpected end of stream (while scanning a quoted scalar at line 3)"),
        ("t:\n\tp: 1\n", "broken.yaml:2:1: not valid YAML:"),
    ],
)
def test_malformed_declarations_name_file_and_entry(tmp_path, body, fragment):
    path = tmp_path / "broken.yaml"
    path.write_text(body)
    with pytest.raises(PolicyFileError) as error:
        load_policies(tmp_path)
    assert str(path) in str(error.value) and fragment in str(error.value)


def test_a_policy_file_that_is_not_utf8_names_the_file_and_the_byte(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("t:\n  p:\n    comment: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(PolicyFileError) as error:
        load_policies(tmp_path)
    assert str(error.value) == f"{path}: not UTF-8 text (byte 24); save it as UTF-8"
