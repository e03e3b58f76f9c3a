"""What an interrupted deploy leaves in a file backend, recognised before the next make target (stack_state)."""

from __future__ import annotations

import io
import json

from scheduler_kit.stack_state import explain, orphans, preflight

PROJECT = "scheduler-kit"


def backend_with(tmp_path, stack="local", lock=None, attrs=None):
    backend = tmp_path / ".pulumi"
    stacks = backend / "stacks" / PROJECT
    stacks.mkdir(parents=True)
    (stacks / f"{stack}.json").write_text("{}")
    if attrs is not None:
        (stacks / f"{stack}.json.attrs").write_text(attrs)
    if lock is not None:
        folder = backend / "locks" / "organization" / PROJECT / stack
        folder.mkdir(parents=True)
        (folder / "b756a946.json").write_text(json.dumps(lock))
    (tmp_path / "Pulumi.yaml").write_text(f"name: {PROJECT}\nruntime: python\n")
    return backend


def run(tmp_path, backend, **checks):
    out = io.StringIO()
    status = preflight("local", backend, root=tmp_path, out=out, **checks)
    return status, out.getvalue()


LOCK = {"pid": 4242, "username": "root", "hostname": "vm", "timestamp": "2026-12-01T09:40:08Z"}


def test_a_lock_of_a_pulumi_that_no_longer_runs_here_is_named_with_the_command_that_frees_it(tmp_path):
    backend = backend_with(tmp_path, lock=LOCK)
    status, out = run(tmp_path, backend, hostname="vm", runs=lambda pid: False)
    assert status == 1
    assert out.count("\n") == 1, out
    assert "locked by pulumi process 4242" in out and "no longer runs" in out
    assert "pulumi cancel --yes --stack local" in out


def test_a_lock_of_a_running_pulumi_or_of_another_machine_is_left_to_pulumi(tmp_path):
    backend = backend_with(tmp_path, lock=LOCK)
    assert run(tmp_path, backend, hostname="vm", runs=lambda pid: True) == (0, "")
    assert run(tmp_path, backend, hostname="elsewhere", runs=lambda pid: False) == (0, "")


def test_an_empty_checkpoint_attributes_file_is_removed_and_reported(tmp_path):
    backend = backend_with(tmp_path, attrs="")
    status, out = run(tmp_path, backend, hostname="vm", runs=lambda pid: False)
    assert status == 0 and "failed to load checkpoint: EOF" in out
    assert not (backend / "stacks" / PROJECT / "local.json.attrs").exists()
    assert (backend / "stacks" / PROJECT / "local.json").read_text() == "{}"


def test_a_written_attributes_file_is_kept(tmp_path):
    backend = backend_with(tmp_path, attrs='{"md5": "x"}')
    assert run(tmp_path, backend, hostname="vm", runs=lambda pid: False) == (0, "")
    assert (backend / "stacks" / PROJECT / "local.json.attrs").read_text() == '{"md5": "x"}'


def test_a_provider_left_running_by_a_killed_cli_is_an_orphan_unless_a_cli_runs_here(tmp_path):
    provider = (7, "/usr/bin/python3 -m pulumi.dynamic ...", str(tmp_path))
    elsewhere = (8, "/usr/bin/python3 -m pulumi.dynamic ...", "/somewhere/else")
    cli = (9, "pulumi up --yes", str(tmp_path))
    assert orphans(tmp_path, lambda: [provider, elsewhere]) == [(7, provider[1])]
    assert orphans(tmp_path, lambda: [provider, cli]) == []


def event(kind, op, name):
    urn = f"urn:pulumi:local::scheduler-kit::scheduler-kit:index:SchedulerDatabase$pulumi-python:dynamic/scheduler-kit:Table::{name}"
    return json.dumps({kind: {"metadata": {"op": op, "urn": urn, "type": "pulumi-python:dynamic/scheduler-kit:Table"}}})


def test_a_failed_up_says_what_was_applied_what_was_not_and_how_to_finish(tmp_path):
    log = tmp_path / "events"
    log.write_text("\n".join([event("resOutputsEvent", "create", "table-a"), event("resOutputsEvent", "same", "x"),
                              event("resOutputsEvent", "create", "table-b"),
                              event("resOpFailedEvent", "create", "function-c"), "not json"]))
    text = "\n".join(explain(log, "staging"))
    assert "2 change(s), the last: create table-b" in text
    assert "Not applied: create function-c" in text
    assert "make up STACK=staging" in text
