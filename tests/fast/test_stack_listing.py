"""`pulumi stack ls` reads every stack's checkpoint, and one being written by a deploy elsewhere can fail it with
"EOF" (the file backend does not write atomically): jobs_cli.stack_names tries again before concluding anything,
and never calls a stack unknown on a failure."""

from __future__ import annotations

import json
import subprocess

import pytest

from scheduler_kit import jobs_cli


def listing(outcomes: list[int]):
    """A stand-in for `pulumi`: `stack ls` fails with EOF for each non-zero outcome, in turn, then lists two stacks."""
    calls = []

    def run(*args: str) -> subprocess.CompletedProcess:
        calls.append(args)
        code = outcomes[len(calls) - 1] if len(calls) <= len(outcomes) else 0
        stdout = "" if code else json.dumps([{"name": "staging"}, {"name": "local"}])
        return subprocess.CompletedProcess(["pulumi", *args], code, stdout, "error: failed to load checkpoint: EOF")
    return run, calls


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(jobs_cli.time, "sleep", lambda seconds: None)


@pytest.mark.parametrize("failures", [0, 1, 2])
def test_the_stacks_are_listed_after_up_to_two_failed_reads(monkeypatch, failures):
    run, calls = listing([1] * failures)
    monkeypatch.setattr(jobs_cli, "_pulumi", run)
    assert jobs_cli.stack_names() == ["local", "staging"]
    assert len(calls) == failures + 1 and all(c == ("stack", "ls", "--json") for c in calls)


def test_three_failed_reads_say_the_stacks_cannot_be_listed(monkeypatch):
    run, calls = listing([1, 1, 1, 1])
    monkeypatch.setattr(jobs_cli, "_pulumi", run)
    assert jobs_cli.stack_names() is None
    assert len(calls) == 3
