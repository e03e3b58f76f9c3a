"""The program's and the dynamic provider's processes end without tearing the interpreter down, once their work is done.

Every preview and up waits for both processes to exit, and Python's finalization (every module of the kit, psycopg,
gRPC and the SDK taken apart, object by object) is work nobody reads:

- The program: the language host's script (`pulumi-language-python-exec`) ends with `sys.exit(exit_code)` at its top
  level, after the SDK has finished (every registration answered, its executor shut down, stdout and stderr
  flushed). `end_program_at_once` makes that one call, and no other, end the process at once with the same status.
- The dynamic provider: the engine stops it with SIGINT once the deployment is done, and waits for it to exit.
  `end_provider_at_once` (from the provider's `configure`, which only the provider's own process runs) closes the
  provider's idle connections and ends the process with status 0 when Python reaches its exit normally; an uncaught
  exception still ends it as Python would.

Measured (docs/deploy-speed.md, round 5): a no-op preview's provider exit took 95 ms, 6 ms after. SCHEDKIT_FULL_EXIT=1
leaves both to Python (for debugging finalizers).
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import Callable

FULL_EXIT = "SCHEDKIT_FULL_EXIT"
LANGUAGE_HOST_SCRIPT = "pulumi-language-python-exec"
_installed: set[str] = set()
_lock = threading.Lock()


def _once(what: str) -> bool:
    """True the first time `what` is asked for in this process (and never with SCHEDKIT_FULL_EXIT=1)."""
    if os.environ.get(FULL_EXIT) == "1":
        return False
    with _lock:
        if what in _installed:
            return False
        _installed.add(what)
        return True


def _leave(status: int) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def is_language_host_exit(code) -> bool:
    """Whether a call of sys.exit from this code object is the language host script's last, top-level one."""
    return code.co_name == "<module>" and os.path.basename(code.co_filename) == LANGUAGE_HOST_SCRIPT


def end_program_at_once() -> None:
    if not _once("program"):
        return
    python_exit = sys.exit

    def exit_at_once(status=None):
        if isinstance(status, int) and is_language_host_exit(sys._getframe(1).f_code):
            _leave(status)
        python_exit(status)

    sys.exit = exit_at_once


def is_dynamic_provider_process() -> bool:
    """Whether this process is the SDK's dynamic provider (`python -m pulumi.dynamic`), not a test or a tool that
    configured a provider in its own process (whose exit status must stay its own)."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return getattr(spec, "name", None) in ("pulumi.dynamic.__main__", "pulumi.dynamic")


def end_provider_at_once(close: Callable[[], None]) -> None:
    if not is_dynamic_provider_process() or not _once("provider"):
        return

    def at_exit() -> None:
        # An uncaught exception was printed and sets sys.last_value: Python's own exit (status 1) follows.
        if getattr(sys, "last_value", None) is not None:
            return
        try:
            close()
        finally:
            _leave(0)

    atexit.register(at_exit)
