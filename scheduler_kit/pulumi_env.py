"""The environment `toolchain/env.sh` sets, for tests and commands started without the Makefile (plain `pytest`)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pulumi_environment() -> dict[str, str]:
    script = f'. "{ROOT}/toolchain/env.sh" && env -0'
    output = subprocess.run(["bash", "-c", script], check=True, capture_output=True, cwd=ROOT).stdout
    env = dict(item.split("=", 1) for item in output.decode().split("\0") if "=" in item)
    return env


def ensure_pulumi_environment() -> None:
    if os.environ.get("PULUMI_BACKEND_URL") and os.environ.get("PULUMI_PYTHON_CMD"):
        return
    os.environ.update(pulumi_environment())
