"""The Privileges apply's last check, on what it reads back (scheduler_kit/providers/privileges.py): pure logic, so
every way the read-back can differ from the model is tried here, including those no database run reaches alone
(PostgreSQL refuses most of them earlier, with its dependent-privileges error: tests/slow/test_privileges_provider.py)."""

from scheduler_kit.providers.privileges import expected_acl, left_beyond_the_model

GRANTS = {
    "service_role": {"privileges": ["SELECT", "INSERT", "UPDATE", "DELETE"]},
    "authenticated": {"privileges": ["SELECT"], "columns": {"UPDATE": ["enabled", "cron_expression"]}},
    "anon": {"privileges": []},  # a deliberate nothing: not in the ACL read back
}


def read_back(grants=None, grant_options=None, sequence_grants=None):
    return {"grants": expected_acl(GRANTS) if grants is None else grants,
            "grant_options": grant_options or {}, "sequence_grants": sequence_grants or {}}


def test_an_acl_exactly_the_models_leaves_nothing_beyond_it():
    assert left_beyond_the_model(read_back(), GRANTS) == {}
    # the model's lists in any order, as the read-back sorts them
    shuffled = {**GRANTS, "service_role": {"privileges": ["DELETE", "UPDATE", "SELECT", "INSERT"]}}
    assert left_beyond_the_model(read_back(), shuffled) == {}


def test_a_privilege_more_or_less_than_the_model_is_reported_with_the_whole_acl():
    more = {**expected_acl(GRANTS), "anon": {"privileges": ["SELECT"], "columns": {}}}
    assert left_beyond_the_model(read_back(grants=more), GRANTS) == {"grants": more}
    fewer = {k: v for k, v in expected_acl(GRANTS).items() if k != "service_role"}
    assert left_beyond_the_model(read_back(grants=fewer), GRANTS) == {"grants": fewer}
    wider_column = expected_acl(GRANTS)
    wider_column["authenticated"] = {"privileges": ["SELECT"], "columns": {"UPDATE": ["cron_expression", "enabled",
                                                                                       "run_count"]}}
    assert left_beyond_the_model(read_back(grants=wider_column), GRANTS) == {"grants": wider_column}


def test_a_grant_option_or_a_sequence_privilege_is_reported_even_when_the_grants_match():
    options = {"authenticated": ["SELECT"]}
    assert left_beyond_the_model(read_back(grant_options=options), GRANTS) == {"grant_options": options}
    sequences = {"public.job_schedules_id_seq": {"anon": ["USAGE"]}}
    assert left_beyond_the_model(read_back(sequence_grants=sequences), GRANTS) == {"sequence_grants": sequences}
    both = left_beyond_the_model(read_back(grants={}, grant_options=options, sequence_grants=sequences), GRANTS)
    assert set(both) == {"grants", "grant_options", "sequence_grants"}
