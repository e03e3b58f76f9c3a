"""scheduler_kit.quick_exit, in child processes: the language host's last top-level sys.exit ends the program at once
with its own status (Python's finalization skipped: a handler registered with atexit does not run), any other
sys.exit stays Python's; the provider's process ends at once with status 0 when it reaches its exit normally, as
Python does after an uncaught exception, and only in the dynamic provider's own process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.support.toolchain import ROOT

FINALIZED = "finalized by Python"


def run_script(path: Path, body: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", **(env_extra or {})}
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=60, env=env)


PROGRAM = f"""
    import atexit, sys
    atexit.register(lambda: print({FINALIZED!r}, flush=True))
    from scheduler_kit.quick_exit import end_program_at_once
    end_program_at_once()

    def inside():
        try:
            sys.exit(4)
        except SystemExit as stop:
            print("caught", stop.code, flush=True)

    inside()
    print("the program ran", flush=True)
    sys.exit(STATUS)
"""


def test_the_language_host_scripts_last_exit_ends_at_once_with_its_status(tmp_path):
    for status in (0, 32):
        done = run_script(tmp_path / "pulumi-language-python-exec", PROGRAM.replace("STATUS", str(status)))
        assert done.returncode == status, done.stderr
        assert done.stdout.splitlines() == ["caught 4", "the program ran"], done.stdout


def test_another_scripts_exit_and_the_full_exit_setting_stay_pythons(tmp_path):
    elsewhere = run_script(tmp_path / "program.py", PROGRAM.replace("STATUS", "5"))
    asked = run_script(tmp_path / "pulumi-language-python-exec", PROGRAM.replace("STATUS", "5"),
                       {"SCHEDKIT_FULL_EXIT": "1"})
    for done in (elsewhere, asked):
        assert done.returncode == 5, done.stderr
        assert done.stdout.splitlines() == ["caught 4", "the program ran", FINALIZED], done.stdout


PROVIDER = f"""
    import atexit, sys, types
    atexit.register(lambda: print({FINALIZED!r}, flush=True))
    if AS_PROVIDER:
        sys.modules["__main__"].__spec__ = types.SimpleNamespace(name="pulumi.dynamic.__main__")
    from scheduler_kit.quick_exit import end_provider_at_once
    end_provider_at_once(lambda: print("connections closed", flush=True))
    end_provider_at_once(lambda: print("closed twice", flush=True))
    if FAIL:
        raise RuntimeError("the provider failed")
"""


def provider(tmp_path: Path, as_provider: bool, fail: bool) -> subprocess.CompletedProcess:
    return run_script(tmp_path / "provider.py",
                      PROVIDER.replace("AS_PROVIDER", str(as_provider)).replace("FAIL", str(fail)))


def test_the_provider_closes_its_connections_and_ends_at_once(tmp_path):
    done = provider(tmp_path, as_provider=True, fail=False)
    assert (done.returncode, done.stdout.splitlines()) == (0, ["connections closed"]), done.stderr


def test_a_failing_provider_and_any_other_process_end_as_python_ends_them(tmp_path):
    failed = provider(tmp_path, as_provider=True, fail=True)
    assert failed.returncode == 1 and "the provider failed" in failed.stderr
    assert failed.stdout.splitlines() == [FINALIZED], failed.stdout
    other = provider(tmp_path, as_provider=False, fail=False)
    assert (other.returncode, other.stdout.splitlines()) == (0, [FINALIZED]), other.stderr
