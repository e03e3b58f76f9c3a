"""`make bench` keeps working as the harness it borrows from changes: its policy part, run small, agrees with the
matrix; its deploy part, run small, runs to the end. (The scheduler part deploys and loads a database of its own;
its figures are in docs/benchmarks.md.)"""

from __future__ import annotations

import os
import re
import subprocess
import sys

from bench import access_bench
from scheduler_kit.pulumi_env import ROOT


def test_the_access_bench_runs_and_agrees_with_the_matrix(capsys):
    assert access_bench.main(cases=60) == 0
    assert "60 random access cases" in capsys.readouterr().out


def test_the_deploy_bench_runs_small_and_prints_its_three_ratios():
    """`make bench-deploy` at its smallest (one repetition of each, 3 jobs): it runs to the end, cleans up its
    throwaway stacks, and prints each ratio with its target (the figures themselves are for docs/deploy-speed.md)."""
    env = {**os.environ, "BENCH_DEPLOY_REPETITIONS": "1", "BENCH_DEPLOY_UPS": "1", "BENCH_DEPLOY_JOBS": "3"}
    stacks_before = stack_files()
    done = subprocess.run([sys.executable, "-m", "bench.deploy_bench"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    ratios = re.findall(r"^  (no-op preview|first up|up changing 1 of 3 jobs)\b.*:\s+(\d+\.\d\d)\s+\(target <= "
                        r"(\d\.\d\d): (?:met|NOT MET)\)$", done.stdout, re.MULTILINE)
    assert [(name, target) for name, _, target in ratios] == \
        [("no-op preview", "1.50"), ("first up", "3.00"), ("up changing 1 of 3 jobs", "2.00")], done.stdout
    assert all(float(ratio) > 0 for _, ratio, _ in ratios)
    assert stack_files() == stacks_before, "the bench left stacks behind"


def stack_files() -> set[str]:
    """The bench's stack files in this checkout's file backend (its throwaway stacks, test-schedkit_bench_* and
    bench-empty-*, and their backups must be gone after it; other tests' stacks come and go meanwhile)."""
    state = ROOT / ".local" / "state" / ".pulumi" / "stacks"
    return {str(p.relative_to(state)) for p in state.rglob("*bench*") if p.is_file()} if state.exists() else set()
