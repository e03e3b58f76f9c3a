"""The pgTAP suite fails on a weakened database: mutants of tests/mutants/catalogue.yaml, each applied to a fresh
database with the kit's model (as `make mutants` does), must make pg_prove report a failed assertion of the suite
(not an aborted file). CHOSEN covers each kind the suite can see; PGTAP_MUTANTS=all tries every mutant the catalogue
applies to one database (the survey in docs/native-checks.md)."""

from __future__ import annotations

import os

import pytest

from tests.mutants.run import CATALOGUE, fresh_database, load_catalogue
from tests.support.pgtap import prove

CHOSEN = (
    "select-policy-true",           # a policy's expression
    "admin-check-dropped",          # the admin check's function body
    "update-on-every-column",       # a table grant
    "rls-disabled",                 # row level security off
    "helper-search-path-unpinned",  # a function's search_path
    "empty-sub-is-admin",           # the generated model, edited (a subtle admin-check change)
)
_ALL = {m.name: m for m in load_catalogue(CATALOGUE)}
# Cluster-wide mutants (`revert`) would change roles every other test of the session shares: left to `make mutants`.
SELECTED = [n for n, m in _ALL.items() if not m.revert and not m.source] \
    if os.environ.get("PGTAP_MUTANTS") == "all" else list(CHOSEN)


@pytest.mark.parametrize("name", SELECTED)
def test_the_pgtap_suite_fails_on_the_mutant(name, cluster):
    mutant = _ALL[name]
    database = fresh_database(cluster, mutant)
    try:
        result = prove(cluster.dsn_for(database))
    finally:
        cluster.drop_database(database)
    assert not result.passed, f"{name} ({mutant.description}) survives the pgTAP suite"
    assert result.failed_tests, f"{name}: pg_prove failed without a failed assertion (an aborted file?):\n" \
                                f"{result.output[-1500:]}"
    print(f"{name}: {len(result.failed_tests)} failed, first: {result.failed_tests[0]}")
