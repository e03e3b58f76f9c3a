"""The states an interrupted `pulumi` leaves in a file backend, made with the real CLI, recognised by the make
targets' preflight (scheduler_kit/stack_state.py) and repaired by it or by the command it prints."""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess

from scheduler_kit.stack_state import preflight
from tests.support.toolchain import ROOT, pulumi_environment


def pulumi(project, env, *args, check=True):
    return subprocess.run(["pulumi", *args, "--non-interactive"], cwd=project, env=env, capture_output=True,
                          text=True, check=check)


def scratch_stack(tmp_path):
    project, backend = tmp_path / "project", tmp_path / "backend"
    project.mkdir()
    backend.mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", project)
    env = {**pulumi_environment(), "PULUMI_BACKEND_URL": f"file://{backend}", "PULUMI_CONFIG_PASSPHRASE": "test",
           "PULUMI_HOME": str(tmp_path / "home")}
    env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
    pulumi(project, env, "stack", "init", "broken")
    return project, backend / ".pulumi", env


def check(backend, project):
    out = io.StringIO()
    return preflight("broken", backend, root=project, out=out), out.getvalue()


def test_an_empty_checkpoint_attributes_file_is_repaired(tmp_path):
    project, backend, env = scratch_stack(tmp_path)
    (backend / "stacks/scheduler-kit/broken.json.attrs").write_text("")  # what a SIGKILL left, 3 times in 38
    failed = pulumi(project, env, "stack", "export", "--stack", "broken", check=False)
    assert failed.returncode != 0 and "failed to load checkpoint: EOF" in failed.stderr
    status, out = check(backend, project)
    assert status == 0 and "removed" in out, out
    exported = json.loads(pulumi(project, env, "stack", "export", "--stack", "broken").stdout)
    assert exported["version"] == 3


def test_a_lock_of_a_dead_pulumi_is_named_and_the_printed_command_frees_it(tmp_path):
    project, backend, env = scratch_stack(tmp_path)
    dead = subprocess.Popen(["true"])
    dead.wait()
    folder = backend / "locks/organization/scheduler-kit/broken"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "0b1e8a3c-0000-4000-8000-000000000000.json").write_text(json.dumps(
        {"pid": dead.pid, "username": os.environ.get("USER", "root"), "hostname": socket.gethostname(),
         "timestamp": "2026-12-01T09:40:08Z"}))
    status, out = check(backend, project)
    assert status == 1 and f"pulumi process {dead.pid}" in out, out
    command = out.split("`")[1].split("&& ", 1)[1]  # the command the line prints
    assert command == "pulumi cancel --yes --stack broken"
    pulumi(project, env, *command.split()[1:])
    assert check(backend, project) == (0, "")


def _kit_root_with_flaky_stack_ls(tmp_path, failures: int):
    """A checkout's scripts (toolchain/stack.sh, env.sh) over a scratch backend, its `pulumi` a shim that fails the
    first `failures` calls of `stack ls` as a checkpoint written mid-read does (the file backend's "EOF")."""
    project, backend, env = scratch_stack(tmp_path)
    (project / "toolchain").mkdir()
    for script in ("stack.sh", "env.sh"):
        shutil.copy(ROOT / "toolchain" / script, project / "toolchain" / script)
    (project / "scheduler_kit").symlink_to(ROOT / "scheduler_kit")
    venv_bin = project / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    shutil.copy(ROOT / ".venv" / "pyvenv.cfg", project / ".venv")
    (venv_bin / "python").symlink_to(ROOT / ".venv" / "bin" / "python")
    real = shutil.which("pulumi", path=env["PATH"])
    calls = tmp_path / "stack-ls-calls"
    shim = venv_bin / "pulumi"  # first on the PATH env.sh makes
    shim.write_text(
        "#!/bin/sh\n"
        f'if [ "$1 $2" = "stack ls" ]; then echo x >> "{calls}"\n'
        f'  if [ "$(wc -l < "{calls}")" -le {failures} ]; then\n'
        '    echo "error: could not list stacks: unexpected EOF" >&2; exit 255; fi; fi\n'
        f'exec "{real}" "$@"\n')
    shim.chmod(0o755)
    return project, env, calls


def test_the_stack_list_is_read_again_when_a_deploy_elsewhere_is_writing_a_checkpoint(tmp_path):
    """toolchain/stack.sh: a `stack ls` that fails (a checkpoint being written) is tried again, up to three times;
    the stack is then selected, and a list that cannot be read is said as such, never as an unknown stack."""
    project, env, calls = _kit_root_with_flaky_stack_ls(tmp_path, failures=2)
    done = subprocess.run(["bash", "toolchain/stack.sh", "broken"], cwd=project, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "stack broken (its own settings, left as they are)" in done.stdout
    assert calls.read_text().count("x") == 3

    (tmp_path / "always").mkdir()
    project, env, calls = _kit_root_with_flaky_stack_ls(tmp_path / "always", failures=99)
    done = subprocess.run(["bash", "toolchain/stack.sh", "broken"], cwd=project, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1
    assert "cannot list the stacks to check 'broken': error: could not list stacks: unexpected EOF" in done.stderr
    assert "no stack named" not in done.stderr
    assert calls.read_text().count("x") == 3
