"""The pgTAP suite in supabase/tests/ is generated (scheduler_kit/pgtap.py): committed, current, and complete."""

from __future__ import annotations

import pytest
import yaml

from scheduler_kit import pgtap


@pytest.fixture(scope="module")
def generated() -> str:
    return pgtap.generate()  # about a second: both targets' plans and every cell


def test_the_committed_pgtap_file_is_what_make_pgtap_writes(generated):
    committed = pgtap.OUTPUT.read_text(encoding="utf-8") if pgtap.OUTPUT.is_file() else ""
    assert committed == generated, f"{pgtap.OUTPUT} is stale: run `make pgtap` and commit it"


def test_make_pgtap_owns_nothing_else_in_supabase_tests():
    assert sorted(p.name for p in pgtap.OUTPUT.parent.iterdir()) == [pgtap.OUTPUT.name]


def test_every_actor_of_the_matrix_has_a_sql_form_or_says_why_not():
    actors = yaml.safe_load(pgtap.MATRIX_PATH.read_text())["actors"]
    assert set(actors) == set(pgtap.SESSIONS) | set(pgtap.NO_SQL_FORM)
    assert not set(pgtap.SESSIONS) & set(pgtap.NO_SQL_FORM)


def test_every_cell_is_one_assertion_per_token_shape_and_the_plan_counts_them_all(generated):
    text = generated
    cells = pgtap.load_cells()
    for actor, sessions in pgtap.SESSIONS.items():
        expected = sum(1 for c in cells if c["actor"] == actor) * len(sessions)
        found = sum(f"'{actor} (" in line for line in text.splitlines() if line.startswith("SELECT "))
        assert found == expected, f"{actor}: {found} cell assertions, the matrix has {expected}"
    assertions = sum(line.startswith("SELECT ") for line in text.splitlines()) - 3  # preamble's SELECT, plan, finish
    assert f"SELECT plan({assertions});" in text


def test_a_target_dependent_cell_expects_each_targets_outcome(generated):
    # The admin lookup table differs by target: on supabase an anonymous SELECT sees zero rows, on postgres it is denied.
    line = next(l for l in generated.splitlines() if "'anon (no token): users SELECT" in l)
    assert "WHEN 'postgres' THEN 'denied' ELSE 'zero' END" in line


def test_the_declared_search_path_is_read_from_the_definition():
    function = pgtap.FunctionInputs(signature="s.f()", definition="CREATE FUNCTION s.f() ...\n  SECURITY DEFINER\n"
                                                                  "  SET search_path = ''\nAS $$ $$")
    assert pgtap.declared_security(function) == (True, 'search_path=""')
