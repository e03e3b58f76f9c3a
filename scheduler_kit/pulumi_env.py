"""The environment `toolchain/env.sh` sets, for tests and commands started without the Makefile (plain `pytest`)."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pulumi_environment() -> dict[str, str]:
    script = f'. "{ROOT}/toolchain/env.sh" && env -0'
    output = subprocess.run(["bash", "-c", script], check=True, capture_output=True, cwd=ROOT).stdout
    env = dict(item.split("=", 1) for item in output.decode().split("\0") if "=" in item)
    return env


def let_plugins_stop_when_asked() -> None:
    """SIGINT back to its default for this process and the pulumi commands it starts, if it was ignored.

    A shell without job control starts its background jobs (`make test`'s Supabase-profile suite, `cmd &` in a
    script) with SIGINT ignored, and every process they start inherits that. The engine stops each plugin it ran (the
    language host, the providers) with SIGINT and kills it only 5 s later: every `pulumi` command from such a process
    took 5 s longer, idle (an empty program's preview 6.3 s instead of 1.3 s; docs/deploy-speed.md, round 4). Python
    leaves an ignored SIGINT ignored, and a shell cannot undo it (POSIX), so it is done here, where the tests and the
    benches set up the engine's environment. Ctrl-C then also stops such a job, as it stops the command around it.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        try:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        except ValueError:  # not the main thread: signal dispositions are set from the main thread only
            pass


def ensure_pulumi_environment() -> None:
    let_plugins_stop_when_asked()
    if os.environ.get("PULUMI_BACKEND_URL") and os.environ.get("PULUMI_PYTHON_CMD"):
        return
    os.environ.update(pulumi_environment())
