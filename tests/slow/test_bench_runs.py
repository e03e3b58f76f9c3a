"""`make bench` keeps working as the harness it borrows from changes: its policy part, run small, agrees with the
matrix. (The scheduler part deploys and loads a database of its own; its figures are in docs/benchmarks.md.)"""

from __future__ import annotations

from bench import access_bench


def test_the_access_bench_runs_and_agrees_with_the_matrix(capsys):
    assert access_bench.main(cases=60) == 0
    assert "60 random access cases" in capsys.readouterr().out
