"""Drift and replacement decisions of the dynamic providers (pure logic, no database)."""

from scheduler_kit.providers.policy import PolicyProvider
from scheduler_kit.providers.role import RoleProvider
from scheduler_kit.providers.table import TableProvider

POLICY = {"name": "p", "table": "public.t", "command": "SELECT", "roles": ["authenticated"], "using": "true",
          "with_check": None, "permissive": True, "comment": None}


def test_no_change_and_no_drift_is_no_diff():
    olds = {**POLICY, "live": {"qual": "true"}, "applied": {"qual": "true"}}
    assert PolicyProvider().diff("id", olds, dict(POLICY)).changes is False


def test_live_state_differing_from_applied_is_drift():
    olds = {**POLICY, "live": None, "applied": {"qual": "true"}}
    result = PolicyProvider().diff("id", olds, dict(POLICY))
    assert result.changes is True and result.replaces == []


def test_renaming_a_policy_replaces_it_but_a_table_is_never_replaced():
    olds = {**POLICY, "live": {}, "applied": {}}
    assert PolicyProvider().diff("id", olds, {**POLICY, "name": "q"}).replaces == ["name"]
    table = {"name": "public.t", "definition": "CREATE TABLE ...", "drop_on_delete": False}
    result = TableProvider().diff("id", {**table, "live": {}, "applied": {}}, {**table, "name": "public.u"})
    assert result.changes is True and result.replaces == []


def test_provider_bookkeeping_is_not_a_change():
    role = {"name": "anon", "bypass_rls": False, "inherit": False}
    olds = {**role, "created": True, "live": {}, "applied": {}}
    assert RoleProvider().diff("id", olds, {**role, "created": None}).changes is False


def test_check_reports_unknown_and_invalid_fields():
    result = PolicyProvider().check({}, {**POLICY, "command": "MERGE", "colour": "red"})
    assert {f.property for f in result.failures} == {"colour"}
    result = PolicyProvider().check({}, {**POLICY, "command": "MERGE"})
    assert [f.property for f in result.failures] == ["command"]


FUNCTION = {"signature": "public.f()", "definition": "CREATE OR REPLACE FUNCTION public.f() ... SET search_path = ''"}
TRIGGER = {"name": "t_f", "table": "public.t", "definition": "CREATE TRIGGER t_f AFTER INSERT ON public.t ..."}


def test_a_function_applies_its_triggers_after_itself_and_states_without_them_show_no_change():
    from scheduler_kit.providers.function import FunctionInputs, FunctionProvider

    statements = FunctionProvider().script(FunctionInputs(**FUNCTION, triggers=[TRIGGER]))
    # The function first (with its overloads dropped: sql/function/replace.sql), then each trigger, then its privacy.
    assert "DO $apply_function$" in statements[0] and "$kit_function$" + FUNCTION["definition"] in statements[0]
    assert statements[-2] == TRIGGER["definition"]
    assert "DROP TRIGGER IF EXISTS" in statements[1] and '"t_f"' in statements[1]
    plain = FunctionProvider().script(FunctionInputs(**FUNCTION))
    assert plain[0] == statements[0] and len(plain) == 2
    assert "REVOKE" in plain[1], "a function is made private in the statements that create it"
    # A state written before the field existed has no `triggers`: a function without triggers is unchanged...
    olds = {**FUNCTION, "live": {"digest": "x"}, "applied": {"digest": "x"}}
    assert FunctionProvider().diff("id", olds, {**FUNCTION, "triggers": None}).changes is False
    # ...and one that gains them is updated (not replaced): the upgrade that re-creates them atomically.
    result = FunctionProvider().diff("id", olds, {**FUNCTION, "triggers": [TRIGGER]})
    assert result.changes is True and result.replaces == []
    failures = FunctionProvider().check({}, {**FUNCTION, "triggers": [{"name": "t_f"}]}).failures
    assert [f.property for f in failures] == ["triggers"]


def test_a_job_config_stores_whole_numbers_as_integers_whatever_the_engine_sent():
    from scheduler_kit.jobs_file import JobDefinition
    from scheduler_kit.providers.job import JobProvider

    # The engine turns `batchSize: 100` into 100.0; stored as such, a service parsing an integer refuses it.
    job = JobDefinition(name="a", cron="@daily", service="s", endpoint="/a",
                        config={"batchSize": 100.0, "ratio": 1.5, "nested": [{"n": 2.0}], "huge": 1e300, "flag": True})
    stored = JobProvider()._params(job, True, True)["config"].obj
    assert stored == {"batchSize": 100, "ratio": 1.5, "nested": [{"n": 2}], "huge": 1e300, "flag": True}
    assert [type(stored["batchSize"]), type(stored["nested"][0]["n"]), type(stored["huge"])] == [int, int, float]
